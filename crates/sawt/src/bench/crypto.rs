//! `sawt bench crypto`: the cryptographic core's figures.

use std::time::Instant;

use anyhow::Context as _;
use sawt_crypto::dkg::{self, KeyGenParams};
use sawt_crypto::dlog::DlogTable;
use sawt_crypto::proofs::range::{RangeProof, encrypt_in_range_with_rng};
use sawt_crypto::threshold::DecryptionShare;
use sawt_crypto::{Ciphertext, Context, Element, RistrettoPoint, Scalar, SecretKey};
use serde_json::json;

use super::Bench;

/// Runs the cryptographic benchmarks.
pub fn crypto(json: bool, threads: usize, scale: f64) -> anyhow::Result<()> {
    anyhow::ensure!(threads >= 1 && scale > 0.0, "--threads ≥ 1 and --scale > 0");
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build_global()
        .context("thread pool")?;
    let mut b = Bench {
        json,
        threads,
        scale,
        units: Vec::new(),
        rows: Vec::new(),
    };
    let mut rng = sawt_crypto::rng::os_rng();
    let ctx = Context::new(b"bench election")
        .with(b"contest", b"c")
        .with(b"credential", b"v");

    // Primitives, for reading the figures below.
    let s = Scalar::random(&mut rng);
    let p = RistrettoPoint::mul_base(&s);
    let n = b.iters(500);
    let us = b.time(7, n, || {
        for _ in 0..n {
            std::hint::black_box(RistrettoPoint::mul_base(std::hint::black_box(&s)));
        }
    });
    b.record("crypto.primitive.mul_base", "multiplication", us, json!({}));
    let us = b.time(7, n, || {
        for _ in 0..n {
            std::hint::black_box(std::hint::black_box(&p).compress());
        }
    });
    b.record("crypto.primitive.compress", "point", us, json!({}));
    let enc = p.compress();
    let us = b.time(7, n, || {
        for _ in 0..n {
            std::hint::black_box(std::hint::black_box(&enc).decompress());
        }
    });
    b.record("crypto.primitive.decompress", "point", us, json!({}));

    // Selections and range proofs.
    let ek = SecretKey::generate().public_key().prepare();
    let key = *ek.public_key();
    for max in [1u64, 2, 6] {
        let n = b.iters(if max == 1 { 300 } else { 100 });
        let us = b.time(7, n, || {
            for i in 0..n {
                let v = i as u64 % (max + 1);
                std::hint::black_box(
                    encrypt_in_range_with_rng(&ctx, &ek, v, max, &mut rng).expect("in range"),
                );
            }
        });
        let name = if max == 1 {
            "crypto.selection.encrypt_prove".to_string()
        } else {
            format!("crypto.range.encrypt_prove.k{max}")
        };
        b.record(&name, "ciphertext", us, json!({"k": max}));

        let made: Vec<(Ciphertext, RangeProof)> = (0..n)
            .map(|i| {
                let (c, p, _) =
                    encrypt_in_range_with_rng(&ctx, &ek, i as u64 % (max + 1), max, &mut rng)
                        .expect("in range");
                (c, p)
            })
            .collect();
        let us = b.time(7, n, || {
            for (c, p) in &made {
                p.verify(&ctx, &key, c, max).expect("honest proof");
            }
        });
        let name = if max == 1 {
            "crypto.selection.verify".to_string()
        } else {
            format!("crypto.range.verify.k{max}")
        };
        b.record(&name, "proof", us, json!({"k": max}));

        let batch_n = if max == 1 { 10_000 } else { 2_000 };
        let batch_n = ((batch_n as f64 * scale.min(1.0)).ceil() as usize).max(10);
        let made: Vec<(Ciphertext, RangeProof)> = (0..batch_n)
            .map(|i| {
                let (c, p, _) =
                    encrypt_in_range_with_rng(&ctx, &ek, i as u64 % (max + 1), max, &mut rng)
                        .expect("in range");
                (c, p)
            })
            .collect();
        // Verification starts from the wire: decoding (decompression) is part of the cost.
        let wire: Vec<(Vec<u8>, Vec<u8>)> = made
            .iter()
            .map(|(c, p)| (c.to_bytes().to_vec(), p.to_bytes()))
            .collect();
        let us = b.time(3, batch_n, || {
            let decoded: Vec<(Ciphertext, RangeProof)> = wire
                .iter()
                .map(|(c, p)| {
                    (
                        Ciphertext::from_bytes(c).expect("ct"),
                        RangeProof::from_bytes(p).expect("proof"),
                    )
                })
                .collect();
            let items: Vec<_> = decoded.iter().map(|(c, p)| (&ctx, c, p, max)).collect();
            RangeProof::verify_many(&key, &items).expect("honest batch");
        });
        let name = if max == 1 {
            "crypto.selection.verify_batch".to_string()
        } else {
            format!("crypto.range.verify_batch.k{max}")
        };
        b.record(
            &name,
            "proof",
            us,
            json!({"k": max, "n": batch_n, "includes": "decoding"}),
        );
    }

    // Decryption shares: one ciphertext, and a batch proved together.
    let params = KeyGenParams::new(3, 5)?;
    let run = dkg::run_local_with_rng(params, &Context::new(b"bench election"), &mut rng)?;
    let tek = run.outcome.joint_key.prepare();
    let share = &run.shares[0];
    let vk: Element = *share.verification_key();
    for n_ct in [1usize, 1000] {
        let cts: Vec<Ciphertext> = (0..n_ct)
            .map(|i| tek.encrypt_with_rng(i as u64, &mut rng).0)
            .collect();
        let reps = if n_ct == 1 { b.iters(200) } else { 1 };
        let samples = if n_ct == 1 { 7 } else { 5 };
        let us = b.time(samples, reps * n_ct, || {
            for _ in 0..reps {
                std::hint::black_box(share.decrypt_with_rng(&ctx, &cts, &mut rng));
            }
        });
        let name = if n_ct == 1 {
            "crypto.decryption_share.prove"
        } else {
            "crypto.decryption_share.prove_batch"
        };
        b.record(name, "ciphertext", us, json!({"n": n_ct}));
        let ds: DecryptionShare = share.decrypt_with_rng(&ctx, &cts, &mut rng);
        let us = b.time(samples, reps * n_ct, || {
            for _ in 0..reps {
                ds.verify(&ctx, &vk, &cts).expect("honest share");
            }
        });
        let name = if n_ct == 1 {
            "crypto.decryption_share.verify"
        } else {
            "crypto.decryption_share.verify_batch"
        };
        b.record(name, "ciphertext", us, json!({"n": n_ct}));
    }

    // Discrete-log decoding up to 2^21.
    let max = 1u64 << 21;
    let t = Instant::now();
    let table = DlogTable::new(max);
    let build = t.elapsed().as_secs_f64() * 1e6;
    b.record(
        "crypto.dlog.table_build",
        "table",
        build,
        json!({"max": max}),
    );
    let worst = RistrettoPoint::mul_base(&Scalar::from(max));
    let n = b.iters(20);
    let us = b.time(5, n, || {
        for _ in 0..n {
            assert_eq!(table.decode(std::hint::black_box(&worst)), Some(max));
        }
    });
    b.record(
        "crypto.dlog.decode_worst",
        "decode",
        us,
        json!({"max": max, "m": max}),
    );

    // A whole 3-of-5 key generation, every trustee's work on this machine.
    let n = b.iters(5);
    let kctx = Context::new(b"bench election");
    let us = b.time(5, n, || {
        for _ in 0..n {
            std::hint::black_box(
                dkg::run_local_with_rng(params, &kctx, &mut rng).expect("honest keygen"),
            );
        }
    });
    b.record("crypto.keygen", "keygen", us, json!({"t": 3, "n": 5}));

    b.finish();
    Ok(())
}
