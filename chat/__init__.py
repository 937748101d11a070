"""Shared code for the chat functions in api/.

Each function imports only the modules it needs, so that a cold start of
`api/ably/auth.py` never pays for importing the Ably SDK.
"""
