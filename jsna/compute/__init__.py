"""Computing: every table of the store from the validated inputs (layer 3 of 5).

Each producer has the same shape (load its inputs, compute, return declared tables) and
:func:`jsna.compute.pipeline.compute_store` runs them in the order their data need.
"""
