"""People: sign-up, sign-in, profiles and API tokens."""
