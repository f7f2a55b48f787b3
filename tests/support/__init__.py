"""Test support code shared by the test areas (scripted peers, helpers)."""
