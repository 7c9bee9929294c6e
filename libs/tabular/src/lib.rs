//! Rows in and out of the platform, for bulk import and export: CSV (RFC 4180, a header
//! row naming the columns) and NDJSON (one JSON object a line).
//!
//! [`Rows`] reads a file as its bytes arrive, without holding more than the row in hand:
//! push each chunk, take the rows it completed. [`CsvWriter`] writes rows the same way.

use std::collections::BTreeMap;

use csv_core::{ReadRecordResult, Reader};

/// Longest row read (a longer one ends the file with [`TabularError::RowTooLong`]).
pub const MAX_ROW: usize = 64 * 1024;
/// Most columns a CSV row may have.
pub const MAX_COLUMNS: usize = 64;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Ndjson,
}

impl Format {
    /// The format a `Content-Type` (parameters ignored) or a `format=` value names.
    pub fn named(name: &str) -> Option<Self> {
        let name = name.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
        match name.as_str() {
            "csv" | "text/csv" => Some(Self::Csv),
            "ndjson" | "application/x-ndjson" | "application/jsonl" | "application/json-seq" => Some(Self::Ndjson),
            _ => None,
        }
    }

    pub const fn name(self) -> &'static str {
        match self {
            Self::Csv => "csv",
            Self::Ndjson => "ndjson",
        }
    }

    pub const fn content_type(self) -> &'static str {
        match self {
            Self::Csv => "text/csv; charset=utf-8",
            Self::Ndjson => "application/x-ndjson",
        }
    }
}

/// A failure that ends a whole file (a bad row does not: it is a [`Row`] with an error).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TabularError {
    #[error("row {0} is longer than {MAX_ROW} bytes")]
    RowTooLong(u64),
    #[error("row {0} has more than {MAX_COLUMNS} columns")]
    TooManyColumns(u64),
    #[error("the CSV file has no header row")]
    NoHeader,
}

/// One row of a file: its number (data rows count from 1; a CSV header is row 0) and its
/// values, or why it could not be read.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub number: u64,
    pub values: Result<Values, String>,
}

/// What a row holds.
#[derive(Debug, Clone, PartialEq)]
pub enum Values {
    /// Column name → text (columns the row lacks are absent).
    Columns(BTreeMap<String, String>),
    Json(serde_json::Map<String, serde_json::Value>),
}

/// Reads rows from chunks of a file as they arrive.
pub struct Rows {
    format: Format,
    csv: Reader,
    /// The row being read: a CSV row's field bytes, or an NDJSON line so far.
    out: Vec<u8>,
    out_len: usize,
    ends: Vec<usize>,
    ends_len: usize,
    header: Option<Vec<String>>,
    /// Rows read so far (the CSV header included as row 0).
    read: u64,
}

impl Rows {
    pub fn new(format: Format) -> Self {
        Self {
            format,
            csv: Reader::new(),
            out: vec![0; 1024],
            out_len: 0,
            ends: vec![0; 16],
            ends_len: 0,
            header: None,
            read: 0,
        }
    }

    /// The rows `chunk` completes.
    pub fn push(&mut self, chunk: &[u8]) -> Result<Vec<Row>, TabularError> {
        match self.format {
            Format::Csv => self.csv_rows(chunk, false),
            Format::Ndjson => self.json_lines(chunk, false),
        }
    }

    /// The last row, when the file does not end with a line break; and a CSV file with no
    /// header at all is refused here.
    pub fn finish(&mut self) -> Result<Vec<Row>, TabularError> {
        let rows = match self.format {
            Format::Csv => self.csv_rows(&[], true)?,
            Format::Ndjson => self.json_lines(&[], true)?,
        };
        if self.format == Format::Csv && self.header.is_none() {
            return Err(TabularError::NoHeader);
        }
        Ok(rows)
    }

    fn csv_rows(&mut self, mut input: &[u8], last: bool) -> Result<Vec<Row>, TabularError> {
        let mut rows = Vec::new();
        loop {
            let (result, nin, nout, nend) =
                self.csv.read_record(input, &mut self.out[self.out_len..], &mut self.ends[self.ends_len..]);
            input = &input[nin..];
            self.out_len += nout;
            self.ends_len += nend;
            match result {
                ReadRecordResult::InputEmpty if !last => return Ok(rows),
                ReadRecordResult::InputEmpty => {}
                ReadRecordResult::OutputFull => {
                    if self.out.len() >= MAX_ROW {
                        return Err(TabularError::RowTooLong(self.read));
                    }
                    let grown = (self.out.len() * 2).min(MAX_ROW);
                    self.out.resize(grown, 0);
                }
                ReadRecordResult::OutputEndsFull => {
                    if self.ends.len() >= MAX_COLUMNS {
                        return Err(TabularError::TooManyColumns(self.read));
                    }
                    let grown = (self.ends.len() * 2).min(MAX_COLUMNS);
                    self.ends.resize(grown, 0);
                }
                ReadRecordResult::Record => {
                    if let Some(row) = self.csv_record() {
                        rows.push(row);
                    }
                }
                ReadRecordResult::End => return Ok(rows),
            }
        }
    }

    /// The record just read, as a row (the header row is kept, not returned).
    fn csv_record(&mut self) -> Option<Row> {
        let mut fields = Vec::with_capacity(self.ends_len);
        let mut start = 0;
        let mut bad = false;
        for &end in &self.ends[..self.ends_len] {
            match std::str::from_utf8(&self.out[start..end]) {
                Ok(text) => fields.push(text.to_owned()),
                Err(_) => bad = true,
            }
            start = end;
        }
        let blank = self.out_len == 0 && self.ends_len <= 1;
        (self.out_len, self.ends_len) = (0, 0);
        if blank {
            return None;
        }
        let number = self.read;
        self.read += 1;
        let Some(header) = &self.header else {
            self.header = Some(fields.iter().map(|f| f.trim().to_ascii_lowercase()).collect());
            return None;
        };
        let values = if bad {
            Err("is not UTF-8 text".to_owned())
        } else if fields.len() > header.len() {
            Err(format!("has {} values for {} columns", fields.len(), header.len()))
        } else {
            Ok(Values::Columns(header.iter().cloned().zip(fields).collect()))
        };
        Some(Row { number, values })
    }

    fn json_lines(&mut self, input: &[u8], last: bool) -> Result<Vec<Row>, TabularError> {
        let mut rows = Vec::new();
        let mut rest = input;
        loop {
            let (line, more) = match rest.iter().position(|b| *b == b'\n') {
                Some(i) => (&rest[..i], Some(&rest[i + 1..])),
                None => (rest, None),
            };
            if self.out_len + line.len() > MAX_ROW {
                return Err(TabularError::RowTooLong(self.read + 1));
            }
            if self.out.len() < self.out_len + line.len() {
                self.out.resize((self.out_len + line.len()).next_power_of_two().min(MAX_ROW), 0);
            }
            self.out[self.out_len..self.out_len + line.len()].copy_from_slice(line);
            self.out_len += line.len();
            match more {
                Some(after) => {
                    rows.extend(self.json_row());
                    rest = after;
                }
                None if last => {
                    rows.extend(self.json_row());
                    return Ok(rows);
                }
                None => return Ok(rows),
            }
        }
    }

    /// The line just read, as a row (blank lines are skipped, not counted).
    fn json_row(&mut self) -> Option<Row> {
        let line = &self.out[..self.out_len];
        let text = line.strip_suffix(b"\r").unwrap_or(line);
        if text.iter().all(u8::is_ascii_whitespace) {
            self.out_len = 0;
            return None;
        }
        self.read += 1;
        let values = match serde_json::from_slice::<serde_json::Value>(text) {
            Ok(serde_json::Value::Object(map)) => Ok(Values::Json(map)),
            Ok(_) => Err("is not a JSON object".to_owned()),
            Err(err) => Err(format!("is not JSON: {err}")),
        };
        self.out_len = 0;
        Some(Row { number: self.read, values })
    }
}

/// Writes CSV rows into a buffer, taken whenever the caller wants to send what it has.
#[derive(Default)]
pub struct CsvWriter {
    buffer: Vec<u8>,
}

impl CsvWriter {
    /// Appends one row, quoting what needs quoting.
    pub fn row<S: AsRef<str>>(&mut self, fields: &[S]) {
        for (i, field) in fields.iter().enumerate() {
            if i > 0 {
                self.buffer.push(b',');
            }
            let field = field.as_ref();
            if field.contains([',', '"', '\n', '\r']) || field.starts_with(' ') || field.ends_with(' ') {
                self.buffer.push(b'"');
                self.buffer.extend_from_slice(field.replace('"', "\"\"").as_bytes());
                self.buffer.push(b'"');
            } else {
                self.buffer.extend_from_slice(field.as_bytes());
            }
        }
        self.buffer.extend_from_slice(b"\r\n");
    }

    /// Bytes written so far.
    pub fn len(&self) -> usize {
        self.buffer.len()
    }

    pub fn is_empty(&self) -> bool {
        self.buffer.is_empty()
    }

    /// What was written since the last take.
    pub fn take(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.buffer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn columns(row: &Row) -> BTreeMap<String, String> {
        match &row.values {
            Ok(Values::Columns(c)) => c.clone(),
            other => panic!("{other:?}"),
        }
    }

    /// Every way of cutting `file` into two chunks reads the same rows.
    fn read_split(format: Format, file: &[u8]) -> Vec<Row> {
        let whole = {
            let mut rows = Rows::new(format);
            let mut all = rows.push(file).unwrap();
            all.extend(rows.finish().unwrap());
            all
        };
        for cut in 0..file.len() {
            let mut rows = Rows::new(format);
            let mut all = rows.push(&file[..cut]).unwrap();
            all.extend(rows.push(&file[cut..]).unwrap());
            all.extend(rows.finish().unwrap());
            assert_eq!(all, whole, "cut at {cut}");
        }
        whole
    }

    #[test]
    fn csv_rows_are_read_across_chunks_with_quotes_and_line_breaks() {
        let file = b"SKU,Name,Price\r\nA-1,\"Mug, large\",1200\nA-2,\"say \"\"hi\"\"\nthere\",900\n\nA-3,Plain";
        let rows = read_split(Format::Csv, file);
        assert_eq!(rows.len(), 3);
        assert_eq!(rows.iter().map(|r| r.number).collect::<Vec<_>>(), [1, 2, 3]);
        assert_eq!(columns(&rows[0])["name"], "Mug, large");
        assert_eq!(columns(&rows[1])["name"], "say \"hi\"\nthere");
        assert_eq!(columns(&rows[2]).get("price"), None, "a short row lacks the columns it leaves out");
    }

    #[test]
    fn a_bad_row_is_reported_and_the_next_one_read() {
        let mut rows = Rows::new(Format::Csv);
        let read = rows.push(b"sku,name\nA,1,extra\nB,\xff\xfe\nC,fine\n").unwrap();
        assert!(read[0].values.as_ref().unwrap_err().contains("3 values for 2 columns"));
        assert_eq!(read[1].values, Err("is not UTF-8 text".into()));
        assert_eq!(columns(&read[2])["name"], "fine");
        assert_eq!(Rows::new(Format::Csv).finish(), Err(TabularError::NoHeader));
    }

    #[test]
    fn ndjson_lines_are_objects_and_blank_lines_are_skipped() {
        let file = b"{\"sku\":\"A\"}\r\n\n[1]\n{\"sku\":\"B\",\"n\":{\"x\":1}}\nnope";
        let rows = read_split(Format::Ndjson, file);
        assert_eq!(rows.len(), 4);
        assert!(matches!(&rows[0].values, Ok(Values::Json(m)) if m["sku"] == "A"));
        assert_eq!(rows[1].values, Err("is not a JSON object".into()));
        assert!(matches!(&rows[2].values, Ok(Values::Json(m)) if m["n"]["x"] == 1));
        assert!(rows[3].values.as_ref().unwrap_err().starts_with("is not JSON"));
    }

    #[test]
    fn an_endless_row_ends_the_file() {
        let long = vec![b'x'; MAX_ROW + 10];
        let mut csv = Rows::new(Format::Csv);
        csv.push(b"a\n").unwrap();
        assert!(matches!(csv.push(&long), Err(TabularError::RowTooLong(1))));
        assert!(matches!(Rows::new(Format::Ndjson).push(&long), Err(TabularError::RowTooLong(1))));
    }

    #[test]
    fn what_the_writer_writes_reads_back() {
        let mut out = CsvWriter::default();
        let written = [["sku", "name"], ["A-1", "Mug, \"large\"\nblue"], ["A-2", " padded "]];
        for row in &written {
            out.row(row);
        }
        let mut rows = Rows::new(Format::Csv);
        let read = rows.push(&out.take()).unwrap();
        assert_eq!(columns(&read[0])["name"], "Mug, \"large\"\nblue");
        assert_eq!(columns(&read[1])["name"], " padded ");
        assert!(out.is_empty());
    }
}
