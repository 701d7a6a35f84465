"""Heuristics that feed the solver: a greedy dispatch and a critical-path tabu search.

Neither is public; ``scheduler.solve`` decides when to run them.
"""
