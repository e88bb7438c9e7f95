"""Why a plan is what it is: marginal values from the duals, the diagnosis of an
infeasible scenario, and the words both use for MODEL.md's constraints."""
