//! Known-answer vectors: the committed files in `protocol-spec/vectors/` are regenerated from
//! the fixed seed and compared byte for byte, and then checked independently of the
//! generator: decoded from their hex, verified, recomputed from their stated inputs, and
//! rejected once tampered with.

mod vectors {
    pub(crate) mod generate;
}

use std::path::PathBuf;

use sawt_crypto::dkg::{Announcement, Dealing, KeyGenOutcome, KeyGenParams};
use sawt_crypto::dlog::DlogTable;
use sawt_crypto::generators::derive_generator;
use sawt_crypto::group::{Element, decode_scalar, scalar_from_hex};
use sawt_crypto::proofs::dleq::{DleqProof, DleqStatement};
use sawt_crypto::proofs::knowledge::EncryptionKnowledgeProof;
use sawt_crypto::proofs::range::RangeProof;
use sawt_crypto::proofs::schnorr::SchnorrProof;
use sawt_crypto::threshold::{DecryptionShare, decrypt_small};
use sawt_crypto::{
    Ciphertext, CiphertextVector, Context, Nonce, PublicKey, RistrettoPoint, Scalar,
};
use serde_json::Value;

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../protocol-spec/vectors")
}

fn load(name: &str) -> Value {
    let text = std::fs::read_to_string(dir().join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
    serde_json::from_str(&text).unwrap()
}

fn bytes(v: &Value) -> Vec<u8> {
    hex::decode(v.as_str().unwrap()).unwrap()
}

fn element(v: &Value) -> Element {
    Element::from_hex(v.as_str().unwrap()).unwrap()
}

fn scalar(v: &Value) -> Scalar {
    scalar_from_hex(v.as_str().unwrap()).unwrap()
}

fn label(name: &str) -> &'static [u8] {
    match name {
        "contest" => b"contest",
        "credential" => b"credential",
        "tally" => b"tally",
        other => panic!("unknown context label {other}"),
    }
}

/// Builds the context a vector file describes.
fn context(v: &Value) -> Context {
    let parts = v["context"].as_array().unwrap();
    assert_eq!(parts[0][0], "election");
    let mut ctx = Context::new(&bytes(&parts[0][1]));
    for p in &parts[1..] {
        ctx = ctx.with(label(p[0].as_str().unwrap()), &bytes(&p[1]));
    }
    ctx
}

/// Flips one bit of a hex-encoded proof; the result must not decode-and-verify.
fn flipped(b: &[u8], at: usize) -> Vec<u8> {
    let mut out = b.to_vec();
    out[at % b.len()] ^= 0x01;
    out
}

#[test]
fn committed_vectors_match_the_generator_byte_for_byte() {
    for (name, text) in vectors::generate::all() {
        let committed = std::fs::read_to_string(dir().join(name))
            .unwrap_or_else(|e| panic!("protocol-spec/vectors/{name}: {e}; run the generator"));
        assert!(
            committed == text,
            "protocol-spec/vectors/{name} differs from the generator's output"
        );
    }
}

#[test]
fn group_vectors() {
    let v = load("group.json");
    for (i, e) in v["small_multiples"].as_array().unwrap().iter().enumerate() {
        let p = Element::decode(&bytes(e)).unwrap();
        assert_eq!(
            *p.point(),
            RistrettoPoint::mul_base(&Scalar::from(i as u64))
        );
    }
    // RFC 9496 Appendix A.1: the encodings of 1·G and 2·G.
    assert_eq!(
        v["small_multiples"][1],
        "e2f2ae0a6abc4e71a884a961c500515f58e30b6aa582dd8db6a65945e08d2d76"
    );
    assert_eq!(
        v["small_multiples"][2],
        "6a493210f7499cd17fecb510ae0cea23a110e8d5b901f8acadd3095c73a3b919"
    );
    for bad in v["invalid_elements"].as_array().unwrap() {
        assert!(Element::decode(&bytes(bad)).is_err(), "accepted {bad}");
    }
    for s in v["valid_scalars"].as_array().unwrap() {
        decode_scalar(&bytes(s)).unwrap();
    }
    for s in v["invalid_scalars"].as_array().unwrap() {
        assert!(decode_scalar(&bytes(s)).is_err(), "accepted {s}");
    }
    for g in v["generators"].as_array().unwrap() {
        let derived = derive_generator(&bytes(&g["label"]), g["index"].as_u64().unwrap());
        assert_eq!(derived, element(&g["generator"]));
    }
}

#[test]
fn elgamal_vectors() {
    let v = load("elgamal.json");
    let x = scalar(&v["secret_key"]);
    let h = element(&v["public_key"]);
    assert_eq!(*h.point(), RistrettoPoint::mul_base(&x));
    let ek = PublicKey::from_element(h).unwrap().prepare();
    let mut cts = Vec::new();
    for case in v["encryptions"].as_array().unwrap() {
        let m = case["m"].as_u64().unwrap();
        let ct = ek.encrypt_with_nonce(m, &Nonce::from_scalar(scalar(&case["r"])));
        assert_eq!(hex::encode(ct.to_bytes()), case["ciphertext"]);
        cts.push(ct);
    }
    let sum = Ciphertext::from_bytes(&bytes(&v["sum"]["ciphertext"])).unwrap();
    assert_eq!(sum, Ciphertext::sum(&cts));
    let m = sum.beta().point() - sum.alpha().point() * x;
    assert_eq!(DlogTable::default().decode(&m), v["sum"]["m"].as_u64());
}

#[test]
fn schnorr_vectors() {
    let v = load("schnorr.json");
    let ctx = context(&v);
    for case in v["cases"].as_array().unwrap() {
        let (base, public) = (element(&case["base"]), element(&case["public"]));
        let b = bytes(&case["proof"]);
        SchnorrProof::from_bytes(&b)
            .unwrap()
            .verify(&ctx, &base, &public)
            .unwrap();
        for at in [0, 31, 32, 63] {
            let bad = SchnorrProof::from_bytes(&flipped(&b, at));
            assert!(bad.is_err() || bad.unwrap().verify(&ctx, &base, &public).is_err());
        }
        assert!(
            SchnorrProof::from_bytes(&b)
                .unwrap()
                .verify(&Context::new(b"other"), &base, &public)
                .is_err()
        );
    }
}

#[test]
fn dleq_vectors() {
    let v = load("dleq.json");
    let ctx = context(&v);
    let s = &v["single"];
    let (b1, x, b2, y) = (
        element(&s["b1"]),
        element(&s["x"]),
        element(&s["b2"]),
        element(&s["y"]),
    );
    let st = DleqStatement {
        b1: &b1,
        x: &x,
        b2: &b2,
        y: &y,
    };
    let proof = DleqProof::from_bytes(&bytes(&s["proof"])).unwrap();
    proof.verify(&ctx, &st).unwrap();
    assert!(proof.verify(&ctx, &DleqStatement { y: &x, ..st }).is_err());
    let b = &v["batch"];
    let bases: Vec<Element> = b["bases"].as_array().unwrap().iter().map(element).collect();
    let ys: Vec<Element> = b["ys"].as_array().unwrap().iter().map(element).collect();
    let proof = DleqProof::from_bytes(&bytes(&b["proof"])).unwrap();
    proof
        .verify_batch(&ctx, &element(&b["x"]), &bases, &ys)
        .unwrap();
    let mut swapped = ys.clone();
    swapped.swap(1, 2);
    assert!(
        proof
            .verify_batch(&ctx, &element(&b["x"]), &bases, &swapped)
            .is_err()
    );
}

#[test]
fn range_vectors() {
    let v = load("range.json");
    let ctx = context(&v);
    let key = PublicKey::from_element(element(&v["public_key"])).unwrap();
    let ek = key.prepare();
    for case in v["cases"].as_array().unwrap() {
        let max = case["K"].as_u64().unwrap();
        let ct = Ciphertext::from_bytes(&bytes(&case["ciphertext"])).unwrap();
        let value = case["value"].as_u64().unwrap();
        assert_eq!(
            ct,
            ek.encrypt_with_nonce(value, &Nonce::from_scalar(scalar(&case["r"])))
        );
        let b = bytes(&case["proof"]);
        RangeProof::from_bytes(&b)
            .unwrap()
            .verify(&ctx, &key, &ct, max)
            .unwrap();
        for at in (0..b.len()).step_by(37) {
            let bad = RangeProof::from_bytes(&flipped(&b, at));
            assert!(
                bad.is_err() || bad.unwrap().verify(&ctx, &key, &ct, max).is_err(),
                "flip at {at}"
            );
        }
    }
}

#[test]
fn knowledge_vectors() {
    let v = load("enc_knowledge.json");
    let ctx = context(&v);
    let ct = CiphertextVector::from_bytes(&bytes(&v["ciphertext"])).unwrap();
    let b = bytes(&v["proof"]);
    EncryptionKnowledgeProof::from_bytes(&b)
        .unwrap()
        .verify(&ctx, &ct)
        .unwrap();
    let other = Context::new(&[0x5a; 32])
        .with(b"contest", b"muscat/shura")
        .with(b"credential", b"voter-0002");
    assert!(
        EncryptionKnowledgeProof::from_bytes(&b)
            .unwrap()
            .verify(&other, &ct)
            .is_err()
    );
}

#[test]
fn keygen_and_decryption_vectors() {
    let k = load("keygen.json");
    let ctx = Context::new(&bytes(&k["context"][0][1]));
    let params = KeyGenParams::new(3, 5).unwrap();
    let anns: Vec<Announcement> = k["announcements"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| Announcement::from_bytes(&bytes(a)).unwrap())
        .collect();
    let deals: Vec<Dealing> = k["dealings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| Dealing::from_bytes(&bytes(d)).unwrap())
        .collect();
    let outcome = KeyGenOutcome::compute(&params, &ctx, &anns, &deals, &[]).unwrap();
    assert_eq!(outcome.joint_key.element(), &element(&k["joint_key"]));
    assert_eq!(outcome.qualified, vec![1, 2, 3, 4, 5]);
    let vks: Vec<Element> = k["verification_keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(element)
        .collect();
    assert_eq!(outcome.verification_keys, vks);
    // Another election's context rejects every proof of possession.
    assert!(KeyGenOutcome::compute(&params, &Context::new(b"other"), &anns, &deals, &[]).is_err());

    let d = load("decryption.json");
    let tally = context(&d);
    let cts: Vec<Ciphertext> = d["ciphertexts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| Ciphertext::from_bytes(&bytes(c)).unwrap())
        .collect();
    let shares: Vec<DecryptionShare> = d["shares"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| DecryptionShare::from_bytes(&bytes(&s["share"])).unwrap())
        .collect();
    let table = DlogTable::new(1 << 20);
    let plain = decrypt_small(&outcome, &tally, &cts, &shares, &table).unwrap();
    let expected: Vec<u64> = d["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m.as_u64().unwrap())
        .collect();
    assert_eq!(plain, expected);
    assert!(
        decrypt_small(&outcome, &ctx, &cts, &shares, &table).is_err(),
        "wrong context"
    );
}

#[test]
fn shuffle_vectors() {
    use sawt_crypto::list::CiphertextList;
    use sawt_crypto::shuffle::ShuffleProof;
    let v = load("shuffle.json");
    let ctx = context(&v);
    assert_eq!(ctx.election(), &bytes(&v["election"])[..]);
    let key = PublicKey::from_element(element(&v["public_key"])).unwrap();
    let input = CiphertextList::from_bytes(&bytes(&v["inputs"])).unwrap();
    let output = CiphertextList::from_bytes(&bytes(&v["outputs"])).unwrap();
    let proof_bytes = bytes(&v["proof"]);
    let proof = ShuffleProof::from_bytes(&proof_bytes).unwrap();
    proof.verify(&ctx, 1, &key, &input, &output).unwrap();
    assert!(proof.verify(&ctx, 2, &key, &input, &output).is_err());
    for at in (20..proof_bytes.len()).step_by(29) {
        if let Ok(p) = ShuffleProof::from_bytes(&flipped(&proof_bytes, at)) {
            let ok = p.verify(&ctx, 1, &key, &input, &output);
            assert!(ok.is_err(), "flip at {at}");
        }
    }
    // The outputs decrypt to a permutation of the messages.
    let x = scalar(&v["secret_key"]);
    let table = DlogTable::new(16);
    let mut got: Vec<Vec<u64>> = output
        .entries()
        .map(|e| {
            e.iter()
                .map(|c| {
                    table
                        .decode(&(c.beta().point() - c.alpha().point() * x))
                        .unwrap()
                })
                .collect()
        })
        .collect();
    let mut want: Vec<Vec<u64>> = v["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            m.as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_u64().unwrap())
                .collect()
        })
        .collect();
    // The vector's permutation is not the identity (nor its own inverse for every entry), so
    // it tells ψ from ψ⁻¹.
    assert_ne!(got, want);
    got.sort();
    want.sort();
    assert_eq!(got, want);
}
