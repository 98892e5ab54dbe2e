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


def assert_table_is_the_csv(table, path):
    """`table` (an analysis's `.table`) holds exactly the cells of the CSV file at `path`: text
    as is, bools as true/false, dates as ISO 8601 (NaT for an empty cell), numbers equal to the
    cell's (NaN for an empty cell)."""
    header, rows = read_csv(path)
    cols = columns(table)
    assert list(cols) == header
    for i, name in enumerate(header):
        values = cols[name]
        assert len(values) == len(rows), name
        for row, value in zip(rows, values):
            cell_text = row[i]
            if isinstance(value, (bool, np.bool_)):
                assert cell_text == ("true" if value else "false"), name
            elif isinstance(value, str):
                assert cell_text == value, name
            elif isinstance(value, np.datetime64):
                assert cell(value) == cell_text, name
            elif cell_text == "":
                assert np.isnan(value), name
            else:
                assert float(cell_text) == value, name


def files_under(folder):
    """Every file under `folder`, by its path relative to it, with its bytes."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}
