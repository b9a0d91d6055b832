//! Reading stored nodes for roots and proofs in one query.
//!
//! `sawt_board`'s algorithms ask a [`NodeSource`] for nodes one at a time, and which nodes
//! they ask for depends only on the sizes and indices, never on the hashes. So a proof is
//! generated twice: first against [`Nodes::recording`], which notes every `(level, index)`
//! asked for and answers a dummy hash; then those nodes (`O(log n)`) are read in **one**
//! query; then the proof is generated again against [`Nodes::fetched`].

use std::cell::RefCell;
use std::collections::HashMap;

use sawt_board::Hash;
use sawt_board::tree::NodeSource;
use sqlx::AssertSqlSafe;

use crate::StoreError;
use crate::db::{Db, get, get_array, get_u64, to_i64};

/// More pairs than any proof needs (2·63): SQLite reads them in one statement.
const SQLITE_MAX_PAIRS: usize = 256;

/// A [`NodeSource`] that records the nodes asked for, or answers from those read.
pub(crate) enum Nodes {
    Recording {
        size: u64,
        wanted: RefCell<Vec<(u32, u64)>>,
    },
    Fetched {
        size: u64,
        nodes: HashMap<(u32, u64), Hash>,
    },
}

impl Nodes {
    pub(crate) fn recording(size: u64) -> Self {
        Nodes::Recording {
            size,
            wanted: RefCell::new(Vec::new()),
        }
    }

    pub(crate) fn fetched(size: u64, nodes: HashMap<(u32, u64), Hash>) -> Self {
        Nodes::Fetched { size, nodes }
    }

    /// The distinct nodes a recording source was asked for.
    pub(crate) fn wanted(self) -> Vec<(u32, u64)> {
        match self {
            Nodes::Recording { wanted, .. } => {
                let mut w = wanted.into_inner();
                w.sort_unstable();
                w.dedup();
                w
            }
            Nodes::Fetched { .. } => Vec::new(),
        }
    }
}

impl NodeSource for Nodes {
    fn size(&self) -> u64 {
        match self {
            Nodes::Recording { size, .. } | Nodes::Fetched { size, .. } => *size,
        }
    }

    fn node(&self, level: u32, index: u64) -> Hash {
        match self {
            Nodes::Recording { wanted, .. } => {
                wanted.borrow_mut().push((level, index));
                [0; 32]
            }
            // `fetch` checked that every recorded node is present, and the second pass asks
            // for the same nodes as the first.
            Nodes::Fetched { nodes, .. } => nodes.get(&(level, index)).copied().unwrap_or([0; 32]),
        }
    }
}

/// Reads the nodes `wanted` in one query (SQLite: one per 256 nodes); fails if one is missing.
pub(crate) async fn fetch(
    db: &Db,
    wanted: &[(u32, u64)],
) -> Result<HashMap<(u32, u64), Hash>, StoreError> {
    let mut out = HashMap::with_capacity(wanted.len());
    if wanted.is_empty() {
        return Ok(out);
    }
    let mut levels = Vec::with_capacity(wanted.len());
    let mut indices = Vec::with_capacity(wanted.len());
    for &(l, i) in wanted {
        levels.push(l as i32);
        indices.push(to_i64(i)?);
    }
    match db {
        Db::Sqlite(pool) => {
            for chunk in (0..wanted.len())
                .collect::<Vec<_>>()
                .chunks(SQLITE_MAX_PAIRS)
            {
                let mut q = sqlx::query(AssertSqlSafe(sqlite_select(chunk.len())));
                for &k in chunk {
                    q = q.bind(levels[k]).bind(indices[k]);
                }
                for row in q.fetch_all(pool).await? {
                    let level: i32 = get(&row, 0)?;
                    out.insert((level as u32, get_u64(&row, 1)?), get_array(&row, 2)?);
                }
            }
        }
        Db::Postgres(pool) => {
            let rows = sqlx::query(
                "SELECT n.level, n.idx, n.hash \
                 FROM UNNEST($1::int4[], $2::int8[]) AS w(level, idx) \
                 JOIN nodes n ON n.level = w.level AND n.idx = w.idx",
            )
            .bind(&levels)
            .bind(&indices)
            .fetch_all(pool)
            .await?;
            for row in rows {
                let level: i32 = get(&row, 0)?;
                out.insert((level as u32, get_u64(&row, 1)?), get_array(&row, 2)?);
            }
        }
    }
    if wanted.iter().any(|k| !out.contains_key(k)) {
        return Err(StoreError::Corrupt("a node of the tree is missing"));
    }
    Ok(out)
}

/// `SELECT … WHERE (level, idx) IN (VALUES (?, ?), …)` for `n` pairs. Placeholders only:
/// no data is ever formatted into SQL. Anonymous ones: SQLite finds a numbered one's name
/// by a linear scan, and the driver asks for every one's.
fn sqlite_select(n: usize) -> String {
    let mut sql = String::from("SELECT level, idx, hash FROM nodes WHERE (level, idx) IN (VALUES ");
    for k in 0..n {
        sql.push_str(if k == 0 { "(?, ?)" } else { ", (?, ?)" });
    }
    sql.push(')');
    sql
}
