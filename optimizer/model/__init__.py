"""MODEL.md §3 as arrays: indexing, variables, constraint families, the build, the HiGHS
hand-over and its statuses, the plan; the Pyomo formulation as the readable reference."""
