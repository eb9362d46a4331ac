//! The table writer's lines: cells cut or padded to their columns' widths, measured as a
//! terminal shows them (a CJK character takes two columns, a combining accent none).

use std::io::{self, Write};

use unicode_width::UnicodeWidthChar;

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
        let shown_chars = cell.chars().map(|c| {
            if matches!(c, '\n' | '\r' | '\t') {
                ' '
            } else {
                c
            }
        });
        let cut = shown_chars.clone().map(display_width).sum::<usize>() > *width;
        // A cut cell keeps room for its `…`.
        let room = if cut { width.saturating_sub(1) } else { *width };
        let mut shown = 0;
        for c in shown_chars {
            let taken = display_width(c);
            if shown + taken > room {
                break;
            }
            line.push(c);
            shown += taken;
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

/// How many terminal columns a character takes.
fn display_width(c: char) -> usize {
    c.width().unwrap_or(0)
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
        // Wide characters take two columns each: cut before one that would not fit.
        let mut out = Vec::new();
        write_cells(
            &mut out,
            &[("a", 6), ("b", 1)],
            vec!["株式会社サンプル".into(), "x".into()],
        )
        .unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), "株式…   x\n");
        let mut out = Vec::new();
        write_cells(
            &mut out,
            &[("a", 6), ("b", 1)],
            vec!["株式".into(), "x".into()],
        )
        .unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), "株式    x\n");
    }
}
