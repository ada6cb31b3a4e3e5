"""The book (layer 5 of 5): the plan, the staged Jupyter Book source, executing notebooks,
Sphinx and the downloads, and the build that runs them all (:func:`jsna.book.build.build`)."""
