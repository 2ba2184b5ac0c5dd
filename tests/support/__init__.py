"""Helpers the test suites share: free ports, the offline synthesis of a stack."""
