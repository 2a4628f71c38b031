//! What a pretty-printed body's indentation says about its structure.
//!
//! The pages print JSON with a fixed indent per level. A body damaged by a
//! missing `}` still parses, with every member after the damage one level
//! too deep; its indentation shows that. The tolerant search weighs that
//! disagreement, and looks for the damage where it begins.

/// A member, item or closing bracket that starts a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Placed {
    /// Its byte offset in the body.
    pub pos: usize,
    /// How deep it was read: a member of the root is at 1, the root's `}` at 0.
    pub depth: usize,
    /// The spaces and tabs before it on its line.
    pub indent: usize,
}

/// Indent steps tried, the common ones first (a tie goes to the earlier);
/// none (flush-left bodies) last.
const STEPS: [usize; 6] = [2, 4, 3, 1, 8, 0];

/// How the body disagrees with its own layout.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Disagreement {
    /// Lines whose indentation is not `offset + depth × step` for the step
    /// and offset most lines follow.
    pub lines: u32,
    /// Where agreeing lines turn into disagreeing ones or back: the damage
    /// starts at one of these.
    pub turns: Vec<usize>,
}

/// Compares each placed line with the layout most lines follow. Fewer than
/// three placed lines say nothing.
pub(crate) fn disagreement(placed: &[Placed]) -> Disagreement {
    if placed.len() < 3 {
        return Disagreement::default();
    }
    let offset_of = |step: usize, p: &Placed| p.indent as i64 - (p.depth * step) as i64;
    let mut best: Option<(usize, usize, i64)> = None; // (agreeing lines, step, offset)
    for step in STEPS {
        let mut offsets: Vec<i64> = placed.iter().map(|p| offset_of(step, p)).collect();
        offsets.sort_unstable();
        let mut run_start = 0;
        for end in 1..=offsets.len() {
            if end == offsets.len() || offsets[end] != offsets[run_start] {
                let count = end - run_start;
                if best.is_none_or(|(most, ..)| count > most) {
                    best = Some((count, step, offsets[run_start]));
                }
                run_start = end;
            }
        }
    }
    let Some((_, step, offset)) = best else {
        return Disagreement::default();
    };
    let agrees: Vec<bool> = placed
        .iter()
        .map(|p| offset_of(step, p) == offset)
        .collect();
    let lines = agrees.iter().filter(|&&agree| !agree).count() as u32;
    let mut turns: Vec<usize> = Vec::new();
    if agrees.first() == Some(&false) {
        turns.push(placed[0].pos);
    }
    for (pair, next) in agrees.windows(2).zip(&placed[1..]) {
        if pair[0] != pair[1] {
            turns.push(next.pos);
        }
    }
    Disagreement { lines, turns }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn placed(rows: &[(usize, usize)]) -> Vec<Placed> {
        rows.iter()
            .enumerate()
            .map(|(index, &(depth, indent))| Placed {
                pos: index * 10,
                depth,
                indent,
            })
            .collect()
    }

    #[test]
    fn a_consistent_layout_agrees_whatever_its_step() {
        for step in [0, 2, 4] {
            let rows: Vec<(usize, usize)> = [1, 2, 2, 1, 1, 0]
                .iter()
                .map(|&depth| (depth, depth * step))
                .collect();
            assert_eq!(disagreement(&placed(&rows)), Disagreement::default());
        }
    }

    #[test]
    fn members_a_level_too_deep_disagree_from_where_the_damage_starts() {
        // A `}` missing before the fourth line: the rest is read one level deeper.
        let rows = [(1, 2), (2, 4), (2, 4), (2, 4), (2, 2), (2, 2), (1, 0)];
        let found = disagreement(&placed(&rows));
        assert_eq!(found.lines, 3);
        assert_eq!(found.turns, vec![40]);
        // When most lines come after the damage, they set the layout, and
        // the turn is still where the damage starts.
        let rows = [(1, 2), (2, 4), (2, 2), (2, 2), (2, 2), (1, 0)];
        let found = disagreement(&placed(&rows));
        assert_eq!(found.lines, 2);
        assert_eq!(found.turns, vec![0, 20]);
    }

    #[test]
    fn two_lines_say_nothing() {
        assert_eq!(
            disagreement(&placed(&[(1, 9), (5, 0)])),
            Disagreement::default()
        );
    }
}
