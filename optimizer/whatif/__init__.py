"""What-ifs on a scenario: shocks, sweeps hot-started from the previous basis, why-this-
source and the cost-against-share frontier."""
