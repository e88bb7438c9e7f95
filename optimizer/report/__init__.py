"""What a person reads: the table summary (`summary`), the HTML report (`render`, `page`,
`inputs`) with its matplotlib charts (`charts`, `drawing`), and plan workbooks."""

from optimizer.moved import forward_names

# Before the rooms, `optimizer.report` was the module now at `optimizer.report.render`.
__getattr__ = forward_names("optimizer.report", "optimizer.report.render")
