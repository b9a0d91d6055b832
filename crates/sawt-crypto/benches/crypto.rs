//! Criterion benchmarks of the cryptographic core: `cargo bench -p sawt-crypto`.
//! The figures in BENCHMARKS.md come from `sawt bench crypto --json`, which measures the
//! same operations beside U in one run; these give criterion's statistics for the same code.

use std::hint::black_box;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use sawt_crypto::dkg::{self, KeyGenParams};
use sawt_crypto::dlog::DlogTable;
use sawt_crypto::list::CiphertextList;
use sawt_crypto::proofs::range::{RangeProof, encrypt_in_range_with_rng};
use sawt_crypto::shuffle::shuffle_with_rng;
use sawt_crypto::{Ciphertext, Context, RistrettoPoint, Scalar, SecretKey};

fn primitives(c: &mut Criterion) {
    let mut rng = sawt_crypto::rng::os_rng();
    let s = Scalar::random(&mut rng);
    let p = RistrettoPoint::mul_base(&s);
    c.bench_function("primitive/variable_base_mul (U)", |b| {
        b.iter(|| black_box(p) * black_box(s))
    });
    c.bench_function("primitive/mul_base", |b| {
        b.iter(|| RistrettoPoint::mul_base(black_box(&s)))
    });
}

fn selections(c: &mut Criterion) {
    let mut rng = sawt_crypto::rng::os_rng();
    let ek = SecretKey::generate().public_key().prepare();
    let key = *ek.public_key();
    let ctx = Context::new(b"bench").with(b"contest", b"c");
    for max in [1u64, 2, 6] {
        c.bench_function(&format!("range/encrypt_prove/k{max}"), |b| {
            b.iter(|| encrypt_in_range_with_rng(&ctx, &ek, max / 2, max, &mut rng).unwrap())
        });
        let (ct, proof, _) = encrypt_in_range_with_rng(&ctx, &ek, 1, max, &mut rng).unwrap();
        c.bench_function(&format!("range/verify/k{max}"), |b| {
            b.iter(|| proof.verify(&ctx, &key, &ct, max).unwrap())
        });
    }
    let made: Vec<(Ciphertext, RangeProof)> = (0..1000)
        .map(|i| {
            let (c, p, _) = encrypt_in_range_with_rng(&ctx, &ek, i % 2, 1, &mut rng).unwrap();
            (c, p)
        })
        .collect();
    let items: Vec<_> = made.iter().map(|(c, p)| (&ctx, c, p, 1u64)).collect();
    let mut group = c.benchmark_group("range/verify_batch");
    group.sample_size(10);
    group.bench_function("k1/n1000", |b| {
        b.iter(|| RangeProof::verify_many(&key, &items).unwrap())
    });
    group.finish();
}

fn threshold(c: &mut Criterion) {
    let mut rng = sawt_crypto::rng::os_rng();
    let ctx = Context::new(b"bench");
    let params = KeyGenParams::new(3, 5).unwrap();
    let mut group = c.benchmark_group("threshold");
    group.sample_size(10);
    group.bench_function("keygen/3-of-5", |b| {
        b.iter(|| dkg::run_local_with_rng(params, &ctx, &mut rng).unwrap())
    });
    let run = dkg::run_local_with_rng(params, &ctx, &mut rng).unwrap();
    let ek = run.outcome.joint_key.prepare();
    let cts: Vec<Ciphertext> = (0..100)
        .map(|i| ek.encrypt_with_rng(i, &mut rng).0)
        .collect();
    group.bench_function("decryption_share/n1", |b| {
        b.iter(|| run.shares[0].decrypt_with_rng(&ctx, &cts[..1], &mut rng))
    });
    group.bench_function("decryption_share/n100", |b| {
        b.iter(|| run.shares[0].decrypt_with_rng(&ctx, &cts, &mut rng))
    });
    group.finish();
}

fn dlog(c: &mut Criterion) {
    let table = DlogTable::new(1 << 21);
    let worst = RistrettoPoint::mul_base(&Scalar::from(1u64 << 21));
    c.bench_function("dlog/decode_worst/2^21", |b| {
        b.iter(|| table.decode(black_box(&worst)).unwrap())
    });
    let mut group = c.benchmark_group("dlog");
    group.sample_size(10);
    group.bench_function("table_build/2^21", |b| {
        b.iter_batched(|| (), |()| DlogTable::new(1 << 21), BatchSize::PerIteration)
    });
    group.finish();
}

fn shuffle(c: &mut Criterion) {
    let mut rng = sawt_crypto::rng::os_rng();
    let ek = SecretKey::generate().public_key().prepare();
    let ctx = Context::new(b"bench");
    let mut group = c.benchmark_group("shuffle");
    group.sample_size(10);
    for w in [1usize, 2] {
        let cts = (0..1000 * w)
            .map(|i| ek.encrypt_with_rng(i as u64 % 5, &mut rng).0)
            .collect();
        let input = CiphertextList::new(w, cts).unwrap();
        group.bench_function(format!("prove/n1000/w{w}"), |b| {
            b.iter(|| shuffle_with_rng(&ctx, 1, &ek, &input, &mut rng).unwrap())
        });
        let (output, proof) = shuffle_with_rng(&ctx, 1, &ek, &input, &mut rng).unwrap();
        group.bench_function(format!("verify/n1000/w{w}"), |b| {
            b.iter(|| {
                proof
                    .verify(&ctx, 1, ek.public_key(), &input, &output)
                    .unwrap()
            })
        });
    }
    group.finish();
}

criterion_group!(benches, primitives, selections, threshold, dlog, shuffle);
criterion_main!(benches);
