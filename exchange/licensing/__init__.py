"""Licensing: offers, license requests and decisions, seats."""
