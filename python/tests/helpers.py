"""Turning Python results into the text of capsim's files, to compare them exactly."""

import csv

import numpy as np


def columns(table):
    """A DataFrame or a dict of arrays as {name: NumPy array}."""
    if isinstance(table, dict):
        return table
    return {name: table[name].to_numpy() for name in table.columns}


def cell(value) -> str:
    """A value as capsim's CSV writers print it: integers plainly, other numbers with up to 6
    decimals and no trailing zeros, dates as ISO 8601, a missing date empty, bools as 0/1."""
    if isinstance(value, (bool, np.bool_)):
        return "1" if value else "0"
    if isinstance(value, np.datetime64):
        return "" if np.isnat(value) else str(value.astype("datetime64[D]"))
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    v = float(value)
    if v == int(v) and abs(v) < 1e15:
        return str(int(v))
    return f"{v:.6f}".rstrip("0").rstrip(".")


def as_csv_rows(table):
    """The header and the rows of `table` as the CSV text capsim writes."""
    cols = columns(table)
    names = list(cols)
    n = len(next(iter(cols.values())))
    return names, [[cell(cols[name][i]) for name in names] for i in range(n)]


def read_csv(path):
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    return rows[0], rows[1:]
