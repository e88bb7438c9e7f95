"""The REST service around the optimizer: HTTP, tenants, stored scenarios and batch jobs.

The optimizer never imports this package; this package reaches the optimizer only
through `service.solving`.
"""
