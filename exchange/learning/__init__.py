"""Learning: the member library, launches, completions, certificates and transcripts."""
