"""Organizations (associations and accredited providers) and their people."""
