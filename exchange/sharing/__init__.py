"""Who shares with whom: the sharing network, dashboards and reports."""
