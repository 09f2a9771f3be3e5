//! Aligned text tables for the admin commands: a header row, then one row per item, columns padded
//! to their widest cell. Widths count characters, which is right for the ASCII and Latin text the
//! API returns; wide (CJK) characters would misalign, which a table on a terminal can live with.

/// One column: its header, whether numbers right-align in it, and the most characters a cell may
/// show (longer cells are cut with `…`, so that one long error does not push the table off-screen).
#[derive(Debug, Clone)]
pub struct Column {
    header: &'static str,
    right: bool,
    max: Option<usize>,
}

impl Column {
    /// A left-aligned column.
    pub fn new(header: &'static str) -> Self {
        Self {
            header,
            right: false,
            max: None,
        }
    }

    /// A right-aligned column, for counts.
    pub fn right(header: &'static str) -> Self {
        Self {
            right: true,
            ..Self::new(header)
        }
    }

    /// Cuts cells to `max` characters.
    pub fn max(mut self, max: usize) -> Self {
        self.max = Some(max.max(1));
        self
    }
}

/// A table being filled.
#[derive(Debug, Clone)]
pub struct Table {
    columns: Vec<Column>,
    rows: Vec<Vec<String>>,
}

impl Table {
    /// An empty table with these columns.
    pub fn new(columns: Vec<Column>) -> Self {
        Self {
            columns,
            rows: Vec::new(),
        }
    }

    /// Adds a row. Missing cells are empty; extra cells are a bug and dropped.
    pub fn row(&mut self, cells: Vec<String>) {
        debug_assert!(cells.len() <= self.columns.len(), "more cells than columns");
        let row = self
            .columns
            .iter()
            .enumerate()
            .map(|(index, column)| {
                // A line break in a cell would break the row: show it as a space.
                let cell = cells
                    .get(index)
                    .map_or("", String::as_str)
                    .replace(['\n', '\r', '\t'], " ");
                cut(&cell, column.max)
            })
            .collect();
        self.rows.push(row);
    }

    /// The table as text: columns two spaces apart, no trailing spaces, a newline after each row.
    pub fn render(&self) -> String {
        let widths: Vec<usize> = self
            .columns
            .iter()
            .enumerate()
            .map(|(index, column)| {
                self.rows
                    .iter()
                    .map(|row| row[index].chars().count())
                    .chain([column.header.chars().count()])
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let header: Vec<String> = self.columns.iter().map(|c| c.header.to_owned()).collect();
        let mut text = String::new();
        for row in std::iter::once(&header).chain(&self.rows) {
            let mut line = String::new();
            for (index, (cell, column)) in row.iter().zip(&self.columns).enumerate() {
                if index > 0 {
                    line.push_str("  ");
                }
                let pad = widths[index] - cell.chars().count();
                if column.right {
                    line.extend(std::iter::repeat_n(' ', pad));
                    line.push_str(cell);
                } else {
                    line.push_str(cell);
                    line.extend(std::iter::repeat_n(' ', pad));
                }
            }
            text.push_str(line.trim_end());
            text.push('\n');
        }
        text
    }
}

fn cut(cell: &str, max: Option<usize>) -> String {
    match max {
        Some(max) if cell.chars().count() > max => {
            let mut kept: String = cell.chars().take(max - 1).collect();
            kept.push('…');
            kept
        }
        _ => cell.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_align_to_the_widest_cell() {
        let mut table = Table::new(vec![
            Column::new("NAME"),
            Column::right("DONE"),
            Column::new("NOTE"),
        ]);
        table.row(vec!["event-log".into(), "12".into(), "ok".into()]);
        table.row(vec!["crm".into(), "3".into(), String::new()]);
        assert_eq!(
            table.render(),
            "NAME       DONE  NOTE\n\
             event-log    12  ok\n\
             crm           3\n"
        );
    }

    #[test]
    fn long_cells_are_cut_and_line_breaks_flattened() {
        let mut table = Table::new(vec![Column::new("ID"), Column::new("ERROR").max(10)]);
        table.row(vec!["1".into(), "connection refused by peer".into()]);
        table.row(vec!["2".into(), "two\nlines".into()]);
        table.row(vec!["3".into()]);
        assert_eq!(
            table.render(),
            "ID  ERROR\n\
             1   connectio…\n\
             2   two lines\n\
             3\n"
        );
    }

    #[test]
    fn widths_count_characters_not_bytes() {
        let mut table = Table::new(vec![Column::new("WHO"), Column::new("X")]);
        table.row(vec!["José".into(), "1".into()]);
        table.row(vec!["Jo".into(), "2".into()]);
        assert_eq!(table.render(), "WHO   X\nJosé  1\nJo    2\n");
    }
}
