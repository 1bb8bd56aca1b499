"""Sharing under explicit rules: the policy, and the records it governs."""
