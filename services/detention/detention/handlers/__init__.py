"""Detention's commands and queries, one function each, over ports (Protocols) the adapters fill:
``common`` centres, units, stay reads and what every handler shares; ``admissions`` one person or
a family; ``stays`` moves of a held person; ``estate`` centre and unit changes; ``figures``
occupancy figures; ``views`` what each caller sees of a record. No framework or driver here.
"""
