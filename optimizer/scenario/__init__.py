"""The scenario document: its schema (`schema`), the domain rules (`validation`), text and
mappings into a validated `Scenario` (`parsing`), files of every spelling (`loading`) and
the Excel workbook (`workbook*`)."""

from optimizer.moved import forward_names

# Before the rooms, `optimizer.scenario` was the schema module.
__getattr__ = forward_names("optimizer.scenario", "optimizer.scenario.schema")
