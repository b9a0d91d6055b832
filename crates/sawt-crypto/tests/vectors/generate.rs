//! The known-answer vector generator (`protocol-spec/vectors/`), shared by the test that
//! re-checks the committed files byte for byte and by `examples/generate-vectors.rs`.
//!
//! Randomness is a deterministic stream, for vectors only: block `i` is
//! `SHA-512("sawt/v1/test-vectors" ‖ seed ‖ u64le(i))`. Every prover draws its random scalars
//! as 64-byte blocks reduced mod ℓ, and each vector lists the scalars it drew, in order
//! (`draws`), so another implementation can feed the same nonces to its prover and compare
//! the bytes.

use std::collections::BTreeMap;
use std::convert::Infallible;

use rand_core::{TryCryptoRng, TryRng};
use sawt_crypto::dkg::{self, KeyGenParams};
use sawt_crypto::generators::derive_generator;
use sawt_crypto::group::{Element, scalar_to_hex};
use sawt_crypto::list::CiphertextList;
use sawt_crypto::proofs::dleq::{DleqProof, DleqStatement};
use sawt_crypto::proofs::knowledge::EncryptionKnowledgeProof;
use sawt_crypto::proofs::range::RangeProof;
use sawt_crypto::proofs::schnorr::SchnorrProof;
use sawt_crypto::threshold;
use sawt_crypto::{Context, Nonce, RistrettoPoint, Scalar, SecretKey};
use serde_json::{Value, json};
use sha2::{Digest, Sha512};

/// The fixed seed of the committed vectors.
pub(crate) const SEED: &[u8] = b"sawt protocol v1 known-answer vectors";

/// The deterministic stream; records every 64-byte draw as the scalar it reduces to.
pub(crate) struct VectorRng {
    seed: Vec<u8>,
    counter: u64,
    pub(crate) draws: Vec<String>,
}

impl VectorRng {
    pub(crate) fn new(label: &str) -> Self {
        let mut seed = SEED.to_vec();
        seed.extend_from_slice(label.as_bytes());
        VectorRng {
            seed,
            counter: 0,
            draws: Vec::new(),
        }
    }

    fn block(&mut self) -> [u8; 64] {
        let mut h = Sha512::new();
        h.update(b"sawt/v1/test-vectors");
        h.update(&self.seed);
        h.update(self.counter.to_le_bytes());
        self.counter += 1;
        h.finalize().into()
    }

    /// Takes the draws made so far.
    pub(crate) fn take(&mut self) -> Vec<String> {
        std::mem::take(&mut self.draws)
    }
}

impl TryRng for VectorRng {
    type Error = Infallible;
    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        Ok(u32::from_le_bytes(self.block()[..4].try_into().unwrap()))
    }
    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        Ok(u64::from_le_bytes(self.block()[..8].try_into().unwrap()))
    }
    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        assert_eq!(dst.len(), 64, "provers draw scalars as 64-byte blocks");
        let b = self.block();
        dst.copy_from_slice(&b);
        self.draws
            .push(scalar_to_hex(&Scalar::from_bytes_mod_order_wide(&b)));
        Ok(())
    }
}

impl TryCryptoRng for VectorRng {}

/// The context every vector uses, and its JSON description.
pub(crate) fn context() -> (Context, Value) {
    let election = [0x5au8; 32];
    let ctx = Context::new(&election)
        .with(b"contest", b"muscat/shura")
        .with(b"credential", b"voter-0001");
    let desc = json!([
        ["election", hex::encode(election)],
        ["contest", hex::encode(b"muscat/shura")],
        ["credential", hex::encode(b"voter-0001")],
    ]);
    (ctx, desc)
}

fn h(e: &Element) -> String {
    e.to_hex()
}

fn point(p: RistrettoPoint) -> String {
    Element::from_point(p).to_hex()
}

fn scalar_bytes(bytes: [u8; 32]) -> String {
    hex::encode(bytes)
}

fn group() -> Value {
    let small: Vec<String> = (0u64..16)
        .map(|i| point(RistrettoPoint::mul_base(&Scalar::from(i))))
        .collect();
    // p = 2^255 − 19, little-endian.
    let mut p = [0xffu8; 32];
    p[0] = 0xed;
    p[31] = 0x7f;
    let mut negative = [0u8; 32];
    negative[0] = 1; // s = 1 is odd, i.e. "negative": rejected
    let mut high_bit = small[2].clone().into_bytes();
    high_bit[62] = b'8'; // set bit 255 of a valid encoding
    let high_bit = String::from_utf8(high_bit).unwrap();
    // The smallest even s that is a canonical field element but not a valid encoding.
    let non_square = (1u8..)
        .map(|k| {
            let mut b = [0u8; 32];
            b[0] = 2 * k;
            b
        })
        .find(|b| Element::decode(b).is_err())
        .unwrap();
    let ell_bytes = {
        let mut b = (Scalar::ZERO - Scalar::ONE).to_bytes();
        b[0] += 1; // ℓ − 1 + 1 = ℓ (no carry: the low byte of ℓ − 1 is 0xec)
        b
    };
    let ell_plus_one = {
        let mut b = ell_bytes;
        b[0] += 1;
        b
    };
    let generators: Vec<Value> = [("sawt/v1/test", 0u64), ("sawt/v1/test", 1), ("sawt/v1/test", 2), ("", 0)]
        .iter()
        .map(|(label, i)| json!({"label": hex::encode(label), "index": i, "generator": h(&derive_generator(label.as_bytes(), *i))}))
        .collect();
    json!({
        "description": "Ristretto255 encodings (crypto.md §2): i·G for i = 0..15, encodings that MUST be rejected, scalar bounds, derived generators.",
        "small_multiples": small,
        "invalid_elements": [scalar_bytes(p), scalar_bytes(negative), high_bit, scalar_bytes(non_square), "ff".repeat(32)],
        "valid_scalars": [scalar_bytes(Scalar::ZERO.to_bytes()), scalar_bytes(Scalar::ONE.to_bytes()), scalar_bytes((Scalar::ZERO - Scalar::ONE).to_bytes())],
        "invalid_scalars": [scalar_bytes(ell_bytes), scalar_bytes(ell_plus_one), "ff".repeat(32)],
        "generators": generators,
    })
}

fn elgamal() -> Value {
    let mut rng = VectorRng::new("elgamal");
    let sk = SecretKey::generate_with_rng(&mut rng);
    let secret = rng.take();
    let ek = sk.public_key().prepare();
    let mut cases = Vec::new();
    let mut cts = Vec::new();
    for m in [0u64, 1, 2, 1_000_000] {
        let (ct, _) = ek.encrypt_with_rng(m, &mut rng);
        cases.push(json!({"m": m, "r": rng.take()[0], "ciphertext": hex::encode(ct.to_bytes())}));
        cts.push(ct);
    }
    let sum = sawt_crypto::Ciphertext::sum(&cts);
    let (re, _) = ek.reencrypt_with_rng(&cts[1], &mut rng);
    json!({
        "description": "Exponential ElGamal (crypto.md §4): x, H = x·G; (α, β) = (r·G, m·G + r·H); sum of all; re-encryption of the second with r'.",
        "secret_key": secret[0],
        "public_key": h(ek.public_key().element()),
        "encryptions": cases,
        "sum": {"m": 1_000_003u64, "ciphertext": hex::encode(sum.to_bytes())},
        "reencryption": {"of": 1, "r": rng.take()[0], "ciphertext": hex::encode(re.to_bytes())},
    })
}

fn schnorr() -> Value {
    let (ctx, desc) = context();
    let mut rng = VectorRng::new("schnorr");
    let x = Scalar::random(&mut rng);
    let secret = rng.take()[0].clone();
    let g = Element::generator();
    let (public, proof) = SchnorrProof::prove_with_rng(&ctx, &g, &x, &mut rng);
    let base = derive_generator(b"sawt/v1/test", 0);
    let (public_b, proof_b) = SchnorrProof::prove_with_rng(&ctx, &base, &x, &mut rng);
    let draws = rng.take();
    json!({
        "description": "Schnorr proofs of knowledge (crypto.md §5.1), over G and over a derived generator.",
        "context": desc,
        "secret": secret,
        "cases": [
            {"base": h(&g), "public": h(&public), "draws": [draws[0]], "proof": hex::encode(proof.to_bytes())},
            {"base": h(&base), "public": h(&public_b), "draws": [draws[1]], "proof": hex::encode(proof_b.to_bytes())},
        ],
    })
}

fn dleq() -> Value {
    let (ctx, desc) = context();
    let mut rng = VectorRng::new("dleq");
    let x = Scalar::random(&mut rng);
    let secret = rng.take()[0].clone();
    let g = Element::generator();
    let public = Element::from_point(RistrettoPoint::mul_base(&x));
    let b2 = derive_generator(b"sawt/v1/test", 1);
    let y = Element::from_point(b2.point() * x);
    let single = DleqProof::prove_with_rng(
        &ctx,
        &DleqStatement {
            b1: &g,
            x: &public,
            b2: &b2,
            y: &y,
        },
        &x,
        &mut rng,
    );
    let single_draws = rng.take();
    let bases: Vec<Element> = (0..4)
        .map(|i| derive_generator(b"sawt/v1/test-bases", i))
        .collect();
    let (ys, batch) = DleqProof::prove_batch_with_rng(&ctx, &public, &x, &bases, &mut rng);
    json!({
        "description": "Chaum–Pedersen proofs (crypto.md §5.2): single over (G, X, B2, Y), batched over four bases.",
        "context": desc,
        "secret": secret,
        "single": {"b1": h(&g), "x": h(&public), "b2": h(&b2), "y": h(&y), "draws": single_draws, "proof": hex::encode(single.to_bytes())},
        "batch": {
            "x": h(&public),
            "bases": bases.iter().map(h).collect::<Vec<_>>(),
            "ys": ys.iter().map(h).collect::<Vec<_>>(),
            "draws": rng.take(),
            "proof": hex::encode(batch.to_bytes()),
        },
    })
}

fn range() -> Value {
    let (ctx, desc) = context();
    let mut rng = VectorRng::new("range");
    let sk = SecretKey::generate_with_rng(&mut rng);
    let secret = rng.take()[0].clone();
    let ek = sk.public_key().prepare();
    let mut cases = Vec::new();
    for (max, value) in [(1u64, 0u64), (1, 1), (2, 2), (6, 3)] {
        let (ct, nonce) = ek.encrypt_with_rng(value, &mut rng);
        let r = rng.take()[0].clone();
        let proof =
            RangeProof::prove_with_rng(&ctx, &ek, &ct, value, &nonce, max, &mut rng).unwrap();
        cases.push(json!({
            "K": max, "value": value, "r": r,
            "ciphertext": hex::encode(ct.to_bytes()),
            "draws": rng.take(),
            "proof": hex::encode(proof.to_bytes()),
        }));
    }
    json!({
        "description": "Range proofs 0..=K (crypto.md §5.3). draws: u, then (c_k, v_k) for each of the K simulation slots k = 0..K-1 (slot k simulates branch k if k < value, else k + 1).",
        "context": desc,
        "secret_key": secret,
        "public_key": h(ek.public_key().element()),
        "cases": cases,
    })
}

fn knowledge() -> Value {
    let (ctx, desc) = context();
    let mut rng = VectorRng::new("enc-knowledge");
    let ek = SecretKey::generate_with_rng(&mut rng)
        .public_key()
        .prepare();
    rng.take();
    let (ct, nonces) = ek.encrypt_vector_with_rng(&[2, 0, 5], &mut rng);
    let rs = rng.take();
    let proof = EncryptionKnowledgeProof::prove_with_rng(&ctx, &ct, &nonces, &mut rng).unwrap();
    json!({
        "description": "Proof of knowledge of the nonces of a width-3 vector ciphertext (crypto.md §5.4).",
        "context": desc,
        "public_key": h(ek.public_key().element()),
        "messages": [2, 0, 5],
        "nonces": rs,
        "ciphertext": hex::encode(ct.to_bytes()),
        "draws": rng.take(),
        "proof": hex::encode(proof.to_bytes()),
    })
}

fn keygen_and_decryption() -> (Value, Value) {
    let ctx = Context::new(&[0x5au8; 32]);
    let desc = json!([["election", hex::encode([0x5au8; 32])]]);
    let mut rng = VectorRng::new("keygen");
    let params = KeyGenParams::new(3, 5).unwrap();
    let run = dkg::run_local_with_rng(params, &ctx, &mut rng).unwrap();
    let keygen = json!({
        "description": "A 3-of-5 joint-Feldman key generation (crypto.md §6): announcements, dealings, no complaints, and the outcome.",
        "context": desc,
        "threshold": 3,
        "trustees": 5,
        "draws": rng.take(),
        "announcements": run.announcements.iter().map(|a| hex::encode(a.to_bytes())).collect::<Vec<_>>(),
        "dealings": run.dealings.iter().map(|d| hex::encode(d.to_bytes())).collect::<Vec<_>>(),
        "joint_key": h(run.outcome.joint_key.element()),
        "verification_keys": run.outcome.verification_keys.iter().map(h).collect::<Vec<_>>(),
    });
    let ek = run.outcome.joint_key.prepare();
    let mut cts = Vec::new();
    let messages = [0u64, 1, 7, 496_279];
    for m in messages {
        cts.push(ek.encrypt_with_nonce(m, &Nonce::from_scalar(Scalar::random(&mut rng))));
    }
    let nonces = rng.take();
    let tally = ctx.clone().with(b"tally", b"muscat/shura");
    let shares: Vec<_> = [1usize, 3, 5]
        .iter()
        .map(|&j| {
            let s = run.shares[j - 1].decrypt_with_rng(&tally, &cts, &mut rng);
            json!({"trustee": j, "draws": rng.take(), "share": hex::encode(s.to_bytes())})
        })
        .collect();
    let lagrange: Vec<String> = [1u32, 3, 5]
        .iter()
        .map(|&j| scalar_to_hex(&threshold::lagrange_coefficient(j, &[1, 3, 5])))
        .collect();
    let decryption = json!({
        "description": "Threshold decryption (crypto.md §7) under the keygen vector's joint key by trustees 1, 3 and 5; context adds tally = \"muscat/shura\".",
        "context": [["election", hex::encode([0x5au8; 32])], ["tally", hex::encode(b"muscat/shura")]],
        "messages": messages,
        "nonces": nonces,
        "ciphertexts": cts.iter().map(|c| hex::encode(c.to_bytes())).collect::<Vec<_>>(),
        "shares": shares,
        "lagrange": lagrange,
    });
    (keygen, decryption)
}

fn shuffle() -> Value {
    let ctx = Context::new(&[0x5au8; 32]).with(b"contest", b"muscat/shura");
    let mut rng = VectorRng::new("shuffle");
    let ek = SecretKey::generate_with_rng(&mut rng)
        .public_key()
        .prepare();
    let secret = rng.take();
    let values = [[1u64, 2], [3, 0], [0, 0], [2, 1], [4, 5]];
    let cts = values
        .iter()
        .flatten()
        .map(|&m| ek.encrypt_with_rng(m, &mut rng).0)
        .collect();
    let input = CiphertextList::new(2, cts).unwrap();
    let nonces = rng.take();
    let (output, proof) =
        sawt_crypto::shuffle::shuffle_with_rng(&ctx, 1, &ek, &input, &mut rng).unwrap();
    json!({
        "description": "A shuffle of 5 entries of width 2 by mixer 1 (mixnet.md §3–§5). The generators' election is 32 bytes of 0x5a. draws: the two scalars whose encodings form the prover's 64-byte seed.",
        "context": [["election", hex::encode([0x5au8; 32])], ["contest", hex::encode(b"muscat/shura")]],
        "election": hex::encode([0x5au8; 32]),
        "mixer": 1,
        "secret_key": secret[0],
        "public_key": h(ek.public_key().element()),
        "messages": values,
        "nonces": nonces,
        "inputs": hex::encode(input.to_bytes()),
        "draws": rng.take(),
        "outputs": hex::encode(output.to_bytes()),
        "proof": hex::encode(proof.to_bytes()),
    })
}

/// Every vector file: name → pretty JSON text (with a final newline).
pub(crate) fn all() -> BTreeMap<&'static str, String> {
    let (keygen, decryption) = keygen_and_decryption();
    let files = [
        ("group.json", group()),
        ("elgamal.json", elgamal()),
        ("schnorr.json", schnorr()),
        ("dleq.json", dleq()),
        ("range.json", range()),
        ("enc_knowledge.json", knowledge()),
        ("keygen.json", keygen),
        ("decryption.json", decryption),
        ("shuffle.json", shuffle()),
    ];
    files
        .into_iter()
        .map(|(name, v)| (name, serde_json::to_string_pretty(&v).unwrap() + "\n"))
        .collect()
}
