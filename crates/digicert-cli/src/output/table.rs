//! The table writer's lines: cells cut or padded to their columns' widths.

use std::io::{self, Write};

use super::Column;

/// One table line: each cell cut or padded to its column's width, its line breaks and tabs
/// shown as spaces. Built in one buffer, without a copy of each cell (a table of thousands of
/// orders is written line by line).
pub fn write_cells<W: Write>(
    out: &mut W,
    columns: &[Column],
    cells: Vec<String>,
) -> io::Result<()> {
    let mut line = String::new();
    let last = columns.len().saturating_sub(1);
    for (index, ((_, width), cell)) in columns.iter().zip(&cells).enumerate() {
        let cut = cell.chars().count() > *width;
        let kept = if cut { width.saturating_sub(1) } else { *width };
        let mut shown = 0;
        for c in cell.chars().take(kept) {
            line.push(if matches!(c, '\n' | '\r' | '\t') {
                ' '
            } else {
                c
            });
            shown += 1;
        }
        if cut {
            line.push('…');
            shown += 1;
        }
        if index < last {
            let pad = width.saturating_sub(shown) + 2;
            line.extend(std::iter::repeat_n(' ', pad));
        }
    }
    line.truncate(line.trim_end().len());
    line.push('\n');
    out.write_all(line.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_cells_are_cut_and_padded() {
        let mut out = Vec::new();
        write_cells(
            &mut out,
            &[("a", 3), ("b", 4)],
            vec!["abcdef".into(), "x\ny".into()],
        )
        .unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), "ab…  x y\n");
        // Counted in characters, not bytes; a cell of its column's width is not cut.
        let mut out = Vec::new();
        write_cells(
            &mut out,
            &[("a", 4), ("b", 0), ("c", 2)],
            vec!["Niño".into(), "z".into(), "\tq".into()],
        )
        .unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), "Niño  …   q\n");
    }
}
