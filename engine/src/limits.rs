//! The limits the engine enforces on one command, so that no single request can hold
//! the writer (and with it every other command) for long, or fill memory.
//!
//! A command's cost grows with the variables it writes (each is a runtime row, a
//! history row and an update record): about 20 µs each on the writer, so the largest
//! command allowed holds it for roughly half a second. Bigger work is split into
//! several requests, each committed on its own.

use crate::error::{Error, Result};
use crate::types::Variables;

/// The most variables one command may set or remove, all its lists together (for
/// a completion: `variables` and `localVariables`; for a modification: the values
/// set and the names deleted).
pub const MAX_VARIABLES_PER_COMMAND: usize = 20_000;

/// The most bytes one variable's value may take (a string's UTF-8 length, the
/// decoded bytes of a `Bytes` or `File`, an object's serialized form).
pub const MAX_VALUE_BYTES: usize = 8 * 1024 * 1024;

/// Checks the variables a command is given: `lists` to set, and `removed` more
/// names to delete.
pub(crate) fn check(lists: &[&Variables], removed: usize) -> Result<()> {
    let count = lists.iter().map(|l| l.len()).sum::<usize>() + removed;
    if count > MAX_VARIABLES_PER_COMMAND {
        return Err(Error::Invalid(format!(
            "A command may set or delete at most {MAX_VARIABLES_PER_COMMAND} variables \
             (Baton's limit); this one has {count}: split it into several requests"
        )));
    }
    for (name, value) in lists.iter().flat_map(|l| l.iter()) {
        let bytes = value.stored_bytes();
        if bytes > MAX_VALUE_BYTES {
            return Err(Error::Invalid(format!(
                "Variable '{name}' has {bytes} bytes; a value may have at most \
                 {MAX_VALUE_BYTES} bytes (Baton's limit)"
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::Value;

    #[test]
    fn too_many_variables_or_too_large_a_value_is_refused_by_name() {
        let many: Variables = (0..MAX_VARIABLES_PER_COMMAND)
            .map(|i| (format!("v{i}"), Value::Integer(1)))
            .collect();
        assert!(check(&[&many], 0).is_ok());
        let err = check(&[&many], 1).unwrap_err().to_string();
        assert!(err.contains("at most 20000 variables"), "{err}");
        assert!(err.contains("this one has 20001"), "{err}");
        let big = vec![(
            "doc".to_owned(),
            Value::String("x".repeat(MAX_VALUE_BYTES + 1)),
        )];
        let err = check(&[&Vec::new(), &big], 0).unwrap_err().to_string();
        assert!(err.contains("Variable 'doc' has 8388609 bytes"), "{err}");
        let fits = vec![("doc".to_owned(), Value::Bytes(vec![0; MAX_VALUE_BYTES]))];
        assert!(check(&[&fits], 0).is_ok());
    }
}
