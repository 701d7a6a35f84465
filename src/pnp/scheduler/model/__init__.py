"""The CP-SAT model of a ``Problem``: variables, constraints and objective, one file each.

``builder.build_model`` assembles them; ``scheduler.solve`` runs the solver on the result.
Nothing here is public: callers use ``scheduler.solve``.
"""
