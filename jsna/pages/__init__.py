"""What chapters show (layer 4 of 5): the HTML kit, charts, sentences, and the indicator,
inequality and performance views. Pages read only the store (:class:`jsna.store.Store`)."""
