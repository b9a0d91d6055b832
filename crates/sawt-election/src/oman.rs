//! Oman's wilayats, seats and (synthetic) figures, from `data/wilayats.csv` (a copy of the
//! project's `shared/oman/wilayats.csv`): 11 governorates, 63 wilayats, 90 Shura seats, 126
//! municipal seats. The registered-voter and candidate counts are synthetic, scaled to the
//! real national totals; say so wherever they are shown.

use crate::geography::{Geography, Governorate, GovernorateId, Wilayat, WilayatId, slug};
use crate::manifest::{Candidate, Contest, ElectionKind, Names, TallyMethod};

/// The built-in table.
pub const WILAYATS_CSV: &str = include_str!("../data/wilayats.csv");

/// One row of the table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WilayatRow {
    /// Governorate name.
    pub governorate: Names,
    /// Wilayat name.
    pub wilayat: Names,
    /// Shura seats (1 or 2).
    pub shura_seats: u32,
    /// Municipal seats.
    pub municipal_seats: u32,
    /// Population, 2022 census.
    pub population_2022: u64,
    /// Registered voters, synthetic (2023 total 753,260).
    pub registered_voters_synth: u64,
    /// Shura candidates, synthetic (total 843).
    pub shura_candidates_synth: u32,
    /// Municipal candidates, synthetic (total 696).
    pub municipal_candidates_synth: u32,
}

/// Parses the table (header row, ten comma-separated columns, no quoting needed).
pub fn parse_wilayats(csv: &str) -> Result<Vec<WilayatRow>, String> {
    let mut lines = csv.lines();
    let header = lines.next().ok_or("empty table")?;
    let expected = "governorate_en,governorate_ar,wilayat_en,wilayat_ar,shura_seats,municipal_seats,population_2022_total,registered_voters_synth_2023,shura_candidates_synth,municipal_candidates_synth";
    if header.trim() != expected {
        return Err(format!("unexpected header: {header}"));
    }
    lines
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, line)| {
            let f: Vec<&str> = line.split(',').map(str::trim).collect();
            let row = i + 2;
            if f.len() != 10 {
                return Err(format!(
                    "line {row}: expected 10 columns, found {}",
                    f.len()
                ));
            }
            let num = |k: usize| {
                f[k].parse::<u64>()
                    .map_err(|_| format!("line {row}: column {} is not a number", k + 1))
            };
            let small = |k: usize| -> Result<u32, String> {
                u32::try_from(num(k)?)
                    .map_err(|_| format!("line {row}: column {} is too large", k + 1))
            };
            Ok(WilayatRow {
                governorate: Names {
                    en: f[0].into(),
                    ar: f[1].into(),
                },
                wilayat: Names {
                    en: f[2].into(),
                    ar: f[3].into(),
                },
                shura_seats: small(4)?,
                municipal_seats: small(5)?,
                population_2022: num(6)?,
                registered_voters_synth: num(7)?,
                shura_candidates_synth: small(8)?,
                municipal_candidates_synth: small(9)?,
            })
        })
        .collect()
}

/// The geography of the rows.
pub fn geography(rows: &[WilayatRow]) -> Geography {
    let mut g = Geography::default();
    for r in rows {
        let gid = GovernorateId(slug(&r.governorate.en));
        if !g.governorates.iter().any(|x| x.id == gid) {
            g.governorates.push(Governorate {
                id: gid.clone(),
                name: r.governorate.clone(),
            });
        }
        g.wilayats.push(Wilayat {
            id: WilayatId(slug(&r.wilayat.en)),
            governorate: gid,
            name: r.wilayat.clone(),
        });
    }
    g
}

/// One contest per wilayat for `kind`, with the synthetic number of candidates (at least
/// one more than the seats), named as synthetic. `votes_per_voter` is the seats.
pub fn contests(rows: &[WilayatRow], kind: ElectionKind, tally: TallyMethod) -> Vec<Contest> {
    rows.iter()
        .map(|r| {
            let wid = slug(&r.wilayat.en);
            let (seats, n) = match kind {
                ElectionKind::Shura => (r.shura_seats, r.shura_candidates_synth),
                ElectionKind::Municipal => (r.municipal_seats, r.municipal_candidates_synth),
            };
            let n = n.max(seats + 1);
            let candidates = (1..=n)
                .map(|k| Candidate {
                    id: format!("{wid}-{k}"),
                    name: Names {
                        ar: format!("مرشح {k} ({}، اصطناعي)", r.wilayat.ar),
                        en: format!("Candidate {k} ({}, synthetic)", r.wilayat.en),
                    },
                    ballot_order: k,
                })
                .collect();
            Contest {
                id: wid.clone(),
                wilayat: WilayatId(wid),
                seats,
                votes_per_voter: seats,
                tally,
                candidates,
            }
        })
        .collect()
}
