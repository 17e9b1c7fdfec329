"""The audit trail: who did what to which record, when, with what data."""
