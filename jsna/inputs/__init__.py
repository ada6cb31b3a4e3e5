"""Reading and validating every input (layer 1 of 5): the data tables, the indicator catalogue,
the KPI files, and the parameters (area types, chapters, places, control-chart rules). A bad
input stops here with the file, where in it, and what is wrong; nothing partial is returned."""
