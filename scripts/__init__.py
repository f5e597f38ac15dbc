"""Operator and CI scripts; healthcheck.py is imported by its tests."""
