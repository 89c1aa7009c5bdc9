//! Multi-row `INSERT … VALUES (…), (…)` statements: one statement, one round trip to the
//! database (and, on SQLite, to its worker thread) for many rows, chunked so no statement
//! binds more parameters than both engines accept.

/// Most parameters bound in one statement (SQLite allows 32,766, PostgreSQL 65,535).
const MAX_PARAMS: usize = 30_000;

/// Most rows per statement: each distinct row count is its own prepared statement in the
/// connection's cache, and SQLite looks bind parameters up by name in a list (quadratic
/// in their number), so moderate statements beat huge ones.
const MAX_ROWS: usize = 32;

/// How many rows of `columns` parameters go in one statement.
pub(super) fn rows_per_statement(columns: usize) -> usize {
    (MAX_PARAMS / columns.max(1)).clamp(1, MAX_ROWS)
}

/// `($1, $2, …), (…), …` for `rows` rows of `columns` parameters each.
pub(super) fn placeholders(rows: usize, columns: usize) -> String {
    placeholders_then(rows, columns, "")
}

/// [`placeholders`] with `constants` (SQL literals, e.g. `'queued', 1`) closing each row.
pub(super) fn placeholders_then(rows: usize, columns: usize, constants: &str) -> String {
    let mut sql = String::with_capacity(rows * columns * 5);
    for row in 0..rows {
        if row > 0 {
            sql.push_str(", ");
        }
        sql.push('(');
        for col in 0..columns {
            if col > 0 {
                sql.push_str(", ");
            }
            sql.push('$');
            sql.push_str(&(row * columns + col + 1).to_string());
        }
        if !constants.is_empty() {
            sql.push_str(", ");
            sql.push_str(constants);
        }
        sql.push(')');
    }
    sql
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_number_every_parameter_once() {
        assert_eq!(placeholders(2, 3), "($1, $2, $3), ($4, $5, $6)");
        assert_eq!(placeholders_then(2, 1, "'x'"), "($1, 'x'), ($2, 'x')");
        assert!(rows_per_statement(13) * 13 <= MAX_PARAMS);
    }
}
