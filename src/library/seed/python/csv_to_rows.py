import csv
import io


def csv_to_rows(text, delimiter=","):
    """CSV text with a header line to a list of row objects; short rows get empty strings."""
    if len(delimiter) != 1:
        raise ValueError("delimiter must be one character")
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    header = next(reader, None)
    if header is None:
        return []
    rows = []
    for record in reader:
        if not record:
            continue
        rows.append({name: (record[i] if i < len(record) else "") for i, name in enumerate(header)})
    return rows
