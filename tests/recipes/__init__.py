"""Tests of recipe and layout files: loading, checking and reporting at file:line."""
