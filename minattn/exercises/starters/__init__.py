"""Starter files of the coursework, one per exercise: signature and docstring, body to fill in.

Get one with ``python -m minattn.exercises start NAME``; these copies are
never graded themselves.
"""
