"""Calls: outbound campaigns and the dialer, compliance before every dial, and telephony trunks."""
