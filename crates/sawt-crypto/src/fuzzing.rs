//! Round-trip checks for every canonical decoder. The fuzz targets in `fuzz/` and the
//! property tests in `tests/decoders.rs` both call these functions, so the check lives here
//! and nowhere else.
//!
//! The property for every binary decoder: given arbitrary bytes, decoding either fails with
//! a [`DecodeError`] or returns a value whose canonical encoding is **exactly** the input.
//! If a decoder accepted two encodings of one value, or returned a value that encodes
//! differently, a hash or signature over the bytes would no longer pin down the value
//! (malleability). Each function also cross-checks the decoders that must agree
//! ([`Element::decode`] against [`Element::decode_nonidentity`], [`PublicKey::decode`] and the
//! hexadecimal text form, for example).
//!
//! Each function returns whether the input decoded. It panics only on a real bug: a decoder
//! that panics, or an accepted input that does not re-encode to itself. The fuzz targets
//! ignore the returned value. The tests use it to check that valid encodings are accepted and
//! that truncated or extended ones are not.
//!
//! JSON is different: insignificant whitespace, string escapes and member order are not
//! canonical, so the JSON check ([`round_trip_json`]) is byte-exact only modulo those. This
//! crate has no JSON parser of its own (serde_json is only a dev-dependency), so the caller
//! passes one in through [`JsonCodec`].
//!
//! [`targets`] lists every check under its fuzz target's name, with valid encodings freshly
//! made through the public API. They seed the fuzzers' corpus
//! (`fuzz/examples/seed_corpus.rs`), and the property tests flip, truncate and extend them.

use core::fmt::Debug;

use curve25519_dalek::scalar::Scalar;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::dkg::{Announcement, Complaint, Dealing};
use crate::elgamal::{Ciphertext, CiphertextVector, PublicKey};
use crate::error::DecodeError;
use crate::group::{self, Element};
use crate::proofs::dleq::DleqProof;
use crate::proofs::knowledge::EncryptionKnowledgeProof;
use crate::proofs::range::RangeProof;
use crate::proofs::schnorr::SchnorrProof;
use crate::threshold::DecryptionShare;

/// Asserts that an accepted input re-encodes to itself and returns whether it was accepted.
fn check<T, E>(
    what: &str,
    data: &[u8],
    decoded: Result<T, E>,
    encode: impl FnOnce(&T) -> Vec<u8>,
) -> bool {
    match decoded {
        Ok(value) => {
            let again = encode(&value);
            assert!(
                again == data,
                "{what}: an accepted input does not re-encode to itself\n \
                 input:      {}\n re-encoded: {}",
                hex::encode(data),
                hex::encode(&again),
            );
            true
        }
        Err(_) => false,
    }
}

/// [`Element::decode`], [`Element::decode_nonidentity`], [`PublicKey::decode`] and
/// [`Element::from_hex`] on the same input. They must agree with one another, and an accepted
/// input must re-encode to itself.
pub fn round_trip_element(data: &[u8]) -> bool {
    let decoded = Element::decode(data);
    if let Ok(e) = &decoded {
        // The stored encoding must be the compression of the stored point.
        assert_eq!(
            Element::from_point(*e.point()).as_bytes(),
            e.as_bytes(),
            "element: point and bytes disagree"
        );
    }
    let nonidentity = Element::decode_nonidentity(data);
    match (&decoded, &nonidentity) {
        (Ok(e), Ok(n)) => assert!(
            !e.is_identity() && e == n,
            "decode_nonidentity disagrees with decode"
        ),
        (Ok(e), Err(DecodeError::Identity)) => assert!(
            e.is_identity(),
            "a non-identity was rejected as the identity"
        ),
        (Err(a), Err(b)) => assert_eq!(a, b, "decode_nonidentity fails differently from decode"),
        (d, n) => panic!("decode_nonidentity disagrees with decode: {d:?} vs {n:?}"),
    }
    let key = PublicKey::decode(data);
    assert_eq!(
        key.map(|k| *k.element()),
        nonidentity,
        "PublicKey::decode disagrees with decode_nonidentity"
    );

    // The text form of these bytes decodes to the same element, or fails when they do.
    if data.len() <= 2 * group::ENCODED_LEN {
        let from_text = Element::from_hex(&hex::encode(data));
        assert_eq!(
            from_text.is_ok(),
            decoded.is_ok(),
            "Element::from_hex disagrees with decode"
        );
        if let (Ok(t), Ok(d)) = (from_text, &decoded) {
            assert_eq!(t, *d, "Element::from_hex decodes to another element");
        }
    }
    // The input itself read as text: only 64 lowercase hex characters may be accepted.
    if let Ok(text) = core::str::from_utf8(data) {
        check("element (hex text)", data, Element::from_hex(text), |e| {
            e.to_hex().into_bytes()
        });
    }
    check("element", data, decoded, |e| e.to_bytes().to_vec())
}

/// [`group::decode_scalar`] and [`group::scalar_from_hex`]: an accepted scalar re-encodes to
/// the input, and the text form agrees with the binary one.
pub fn round_trip_scalar(data: &[u8]) -> bool {
    let decoded = group::decode_scalar(data);
    if let Ok(s) = &decoded {
        let reduced = Scalar::from_bytes_mod_order(s.to_bytes());
        assert_eq!(
            reduced.as_bytes(),
            s.as_bytes(),
            "decode_scalar returned an unreduced scalar"
        );
    }
    if data.len() <= 2 * group::ENCODED_LEN {
        let from_text = group::scalar_from_hex(&hex::encode(data));
        assert_eq!(
            from_text.is_ok(),
            decoded.is_ok(),
            "scalar_from_hex disagrees with decode_scalar"
        );
        if let (Ok(t), Ok(d)) = (from_text, &decoded) {
            assert_eq!(t, *d, "scalar_from_hex decodes to another scalar");
        }
    }
    if let Ok(text) = core::str::from_utf8(data) {
        check(
            "scalar (hex text)",
            data,
            group::scalar_from_hex(text),
            |s| group::scalar_to_hex(s).into_bytes(),
        );
    }
    check("scalar", data, decoded, |s| s.as_bytes().to_vec())
}

/// [`Ciphertext::from_bytes`].
pub fn round_trip_ciphertext(data: &[u8]) -> bool {
    check("ciphertext", data, Ciphertext::from_bytes(data), |c| {
        c.to_bytes().to_vec()
    })
}

/// [`CiphertextVector::from_bytes`].
pub fn round_trip_ciphertext_vector(data: &[u8]) -> bool {
    check(
        "ciphertext vector",
        data,
        CiphertextVector::from_bytes(data),
        CiphertextVector::to_bytes,
    )
}

/// [`SchnorrProof::from_bytes`].
pub fn round_trip_schnorr(data: &[u8]) -> bool {
    check("Schnorr proof", data, SchnorrProof::from_bytes(data), |p| {
        p.to_bytes().to_vec()
    })
}

/// [`DleqProof::from_bytes`].
pub fn round_trip_dleq(data: &[u8]) -> bool {
    check("DLEQ proof", data, DleqProof::from_bytes(data), |p| {
        p.to_bytes().to_vec()
    })
}

/// [`RangeProof::from_bytes`].
pub fn round_trip_range(data: &[u8]) -> bool {
    check(
        "range proof",
        data,
        RangeProof::from_bytes(data),
        RangeProof::to_bytes,
    )
}

/// [`EncryptionKnowledgeProof::from_bytes`].
pub fn round_trip_enc_knowledge(data: &[u8]) -> bool {
    check(
        "encryption-knowledge proof",
        data,
        EncryptionKnowledgeProof::from_bytes(data),
        EncryptionKnowledgeProof::to_bytes,
    )
}

/// [`Announcement::from_bytes`].
pub fn round_trip_announcement(data: &[u8]) -> bool {
    check(
        "announcement",
        data,
        Announcement::from_bytes(data),
        Announcement::to_bytes,
    )
}

/// [`Dealing::from_bytes`].
pub fn round_trip_dealing(data: &[u8]) -> bool {
    check(
        "dealing",
        data,
        Dealing::from_bytes(data),
        Dealing::to_bytes,
    )
}

/// [`DecryptionShare::from_bytes`].
pub fn round_trip_decryption_share(data: &[u8]) -> bool {
    check(
        "decryption share",
        data,
        DecryptionShare::from_bytes(data),
        DecryptionShare::to_bytes,
    )
}

/// [`CiphertextList::from_bytes`](crate::list::CiphertextList::from_bytes).
pub fn round_trip_list(data: &[u8]) -> bool {
    use crate::list::CiphertextList;
    check(
        "ciphertext list",
        data,
        CiphertextList::from_bytes(data),
        CiphertextList::to_bytes,
    )
}

/// [`ShuffleProof::from_bytes`](crate::shuffle::ShuffleProof::from_bytes).
pub fn round_trip_shuffle_proof(data: &[u8]) -> bool {
    use crate::shuffle::ShuffleProof;
    check(
        "shuffle proof",
        data,
        ShuffleProof::from_bytes(data),
        ShuffleProof::to_bytes,
    )
}

/// A JSON parser and printer, passed in by the caller (the fuzz target and the tests use
/// serde_json).
pub trait JsonCodec {
    /// Parses one whole JSON document as a `T`; `None` if it is not valid JSON for `T`.
    fn parse<T: DeserializeOwned>(text: &str) -> Option<T>;
    /// Prints a value as compact JSON (no whitespace).
    fn print<T: Serialize>(value: &T) -> String;
}

/// Strips JSON's insignificant whitespace. This is only correct for text without string
/// escapes whose strings hold no whitespace, which holds for every text that parses below.
fn compact(text: &str) -> String {
    text.chars()
        .filter(|c| !matches!(c, ' ' | '\t' | '\n' | '\r'))
        .collect()
}

/// Parses, prints and parses again: the value must survive, and printing must be stable.
fn json_stable<J: JsonCodec, T: Serialize + DeserializeOwned + PartialEq + Debug>(
    what: &str,
    text: &str,
) -> Option<(T, String)> {
    let value = J::parse::<T>(text)?;
    let printed = J::print(&value);
    let again = J::parse::<T>(&printed);
    assert_eq!(
        again.as_ref(),
        Some(&value),
        "{what}: JSON {printed} does not parse back to the value"
    );
    assert_eq!(
        J::print(&value),
        printed,
        "{what}: printing is not deterministic"
    );
    Some((value, printed))
}

/// The JSON forms, read from UTF-8 text.
///
/// * [`Element`] (a string of 64 lowercase hex characters) and [`Ciphertext`] (an object with
///   exactly `alpha` and `beta`): an accepted text, with whitespace removed and without
///   escapes, is exactly the printed form (either member order for a ciphertext). The value
///   also round-trips through the binary encoding.
/// * [`PublicKey`], the proofs, [`CiphertextVector`], [`Announcement`], [`Dealing`],
///   [`Complaint`] and [`DecryptionShare`]: an accepted text parses to a value that prints
///   and parses back to itself.
///
/// Returns whether the text parsed as any of them.
pub fn round_trip_json<J: JsonCodec>(data: &[u8]) -> bool {
    let Ok(text) = core::str::from_utf8(data) else {
        return false;
    };
    let plain = !text.contains('\\');
    let mut parsed = false;

    if let Some((e, printed)) = json_stable::<J, Element>("element", text) {
        parsed = true;
        assert_eq!(
            printed,
            format!("\"{}\"", e.to_hex()),
            "element: unexpected JSON form"
        );
        if plain {
            assert_eq!(
                compact(text),
                printed,
                "element: accepted JSON is not the canonical form"
            );
        }
        assert_eq!(
            Element::decode(e.as_bytes()),
            Ok(e),
            "element: JSON value is not a canonical element"
        );
    }
    if let Some((c, printed)) = json_stable::<J, Ciphertext>("ciphertext", text) {
        parsed = true;
        let (a, b) = (c.alpha().to_hex(), c.beta().to_hex());
        assert_eq!(
            printed,
            format!("{{\"alpha\":\"{a}\",\"beta\":\"{b}\"}}"),
            "ciphertext: unexpected JSON form"
        );
        if plain {
            let compacted = compact(text);
            let swapped = format!("{{\"beta\":\"{b}\",\"alpha\":\"{a}\"}}");
            assert!(
                compacted == printed || compacted == swapped,
                "ciphertext: accepted JSON {text:?} is not the canonical form {printed}"
            );
        }
        assert_eq!(
            Ciphertext::from_bytes(&c.to_bytes()),
            Ok(c),
            "ciphertext: JSON value has no binary form"
        );
    }
    if let Some((k, _)) = json_stable::<J, PublicKey>("public key", text) {
        parsed = true;
        assert_eq!(
            PublicKey::decode(k.element().as_bytes()),
            Ok(k),
            "public key: JSON value has no binary form"
        );
    }
    parsed |= json_stable::<J, CiphertextVector>("ciphertext vector", text).is_some();
    parsed |= json_stable::<J, SchnorrProof>("Schnorr proof", text).is_some();
    parsed |= json_stable::<J, DleqProof>("DLEQ proof", text).is_some();
    parsed |= json_stable::<J, RangeProof>("range proof", text).is_some();
    parsed |=
        json_stable::<J, EncryptionKnowledgeProof>("encryption-knowledge proof", text).is_some();
    parsed |= json_stable::<J, Announcement>("announcement", text).is_some();
    parsed |= json_stable::<J, Dealing>("dealing", text).is_some();
    parsed |= json_stable::<J, Complaint>("complaint", text).is_some();
    parsed |= json_stable::<J, DecryptionShare>("decryption share", text).is_some();
    parsed |= json_stable::<J, crate::shuffle::ShuffleProof>("shuffle proof", text).is_some();
    parsed
}

/// One decoder as a fuzz target: its name in `fuzz/`, its check, and valid encodings to
/// start from. The valid encodings seed the fuzzers' corpus, and the property tests mutate
/// them.
pub struct Target {
    /// The fuzz target's name (`fuzz/fuzz_targets/<name>.rs`).
    pub name: &'static str,
    /// The round-trip check.
    pub check: fn(&[u8]) -> bool,
    /// Valid encodings, made with fresh randomness from the operating system.
    pub valid: Vec<Vec<u8>>,
    /// Whether the format fixes the length (a fixed size, or counts in a header). If so, a
    /// valid encoding that is truncated or extended must be rejected. False for JSON.
    pub length_is_determined: bool,
}

/// Every target, with valid encodings of each kind made through the public API. This runs a
/// small key generation, so it takes some milliseconds.
pub fn targets<J: JsonCodec>() -> Vec<Target> {
    use crate::dkg::{KeyGenParams, run_local_with_rng};
    use crate::elgamal::SecretKey;
    use crate::generators::{derive_generator, derive_generators};
    use crate::proofs::dleq::DleqStatement;
    use crate::proofs::range::encrypt_in_range_with_rng;
    use crate::transcript::Context;
    use curve25519_dalek::ristretto::RistrettoPoint;

    fn binary(name: &'static str, check: fn(&[u8]) -> bool, valid: Vec<Vec<u8>>) -> Target {
        Target {
            name,
            check,
            valid,
            length_is_determined: true,
        }
    }
    fn json<J: JsonCodec, T: Serialize>(out: &mut Vec<Vec<u8>>, values: &[T]) {
        out.extend(values.iter().map(|v| J::print(v).into_bytes()));
    }

    let mut rng = crate::rng::os_rng();
    let ctx = Context::new(b"sawt fuzzing").with(b"purpose", b"valid samples");
    let g = Element::generator();

    let mut scalars = vec![Scalar::ZERO, Scalar::ONE, -Scalar::ONE];
    scalars.extend((0..4).map(|_| Scalar::random(&mut rng)));
    let mut elements = vec![Element::identity(), g, derive_generator(b"sawt fuzzing", 0)];
    elements.extend(
        scalars
            .iter()
            .map(|s| Element::from_point(RistrettoPoint::mul_base(s))),
    );

    let sk = SecretKey::generate_with_rng(&mut rng);
    let ek = sk.public_key().prepare();
    let cts: Vec<Ciphertext> = (0..4).map(|m| ek.encrypt_with_rng(m, &mut rng).0).collect();
    let (vectors, nonces): (Vec<CiphertextVector>, Vec<_>) = [&[1u64][..], &[0, 1], &[3, 0, 7]]
        .iter()
        .map(|ms| ek.encrypt_vector_with_rng(ms, &mut rng))
        .unzip();

    let x = Scalar::random(&mut rng);
    let h = derive_generator(b"sawt fuzzing", 1);
    let schnorr = vec![
        SchnorrProof::prove_with_rng(&ctx, &g, &x, &mut rng).1,
        SchnorrProof::prove_with_rng(&ctx, &h, &x, &mut rng).1,
    ];

    let big_x = Element::from_point(RistrettoPoint::mul_base(&x));
    let y = Element::from_point(h.point() * x);
    let statement = DleqStatement {
        b1: &g,
        x: &big_x,
        b2: &h,
        y: &y,
    };
    let bases = derive_generators(b"sawt fuzzing batch", 3);
    let dleq = vec![
        DleqProof::prove_with_rng(&ctx, &statement, &x, &mut rng),
        DleqProof::prove_batch_with_rng(&ctx, &big_x, &x, &bases, &mut rng).1,
    ];

    let range: Vec<RangeProof> = [(0, 1), (1, 1), (2, 3), (5, 5)]
        .iter()
        .map(|&(value, max)| {
            encrypt_in_range_with_rng(&ctx, &ek, value, max, &mut rng)
                .expect("value in range")
                .1
        })
        .collect();

    let knowledge: Vec<EncryptionKnowledgeProof> = vectors
        .iter()
        .zip(&nonces)
        .map(|(ct, r)| {
            EncryptionKnowledgeProof::prove_with_rng(&ctx, ct, r, &mut rng).expect("one nonce each")
        })
        .collect();

    let mut announcements = Vec::new();
    let mut dealings = Vec::new();
    let mut shares = Vec::new();
    for (t, n) in [(2, 3), (1, 1)] {
        let params = KeyGenParams::new(t, n).expect("valid parameters");
        let keygen = run_local_with_rng(params, &ctx, &mut rng).expect("honest key generation");
        announcements.extend(keygen.announcements);
        dealings.extend(keygen.dealings);
        for batch in [&cts[..1], &cts[..]] {
            for share in &keygen.shares {
                shares.push(share.decrypt_with_rng(&ctx, batch, &mut rng));
            }
        }
    }

    let lists: Vec<crate::list::CiphertextList> = vec![
        crate::list::CiphertextList::new(1, cts.clone()).expect("width 1"),
        crate::list::CiphertextList::new(2, cts.clone()).expect("width 2"),
        crate::list::CiphertextList::empty(3).expect("width 3"),
    ];
    let shuffles: Vec<crate::shuffle::ShuffleProof> = lists
        .iter()
        .map(|l| {
            crate::shuffle::shuffle_with_rng(&ctx, 1, &ek, l, &mut rng)
                .expect("honest shuffle")
                .1
        })
        .collect();

    let mut texts = Vec::new();
    json::<J, _>(&mut texts, &shuffles);
    json::<J, _>(&mut texts, &elements);
    json::<J, _>(&mut texts, &cts);
    json::<J, _>(&mut texts, &[sk.public_key()]);
    json::<J, _>(&mut texts, &vectors);
    json::<J, _>(&mut texts, &schnorr);
    json::<J, _>(&mut texts, &dleq);
    json::<J, _>(&mut texts, &range);
    json::<J, _>(&mut texts, &knowledge);
    json::<J, _>(&mut texts, &announcements);
    json::<J, _>(&mut texts, &dealings);
    json::<J, _>(&mut texts, &shares);

    let bytes = |v: &[u8]| v.to_vec();
    vec![
        binary(
            "element",
            round_trip_element,
            elements.iter().map(|e| bytes(e.as_bytes())).collect(),
        ),
        binary(
            "scalar",
            round_trip_scalar,
            scalars.iter().map(|s| bytes(s.as_bytes())).collect(),
        ),
        binary(
            "ciphertext",
            round_trip_ciphertext,
            cts.iter().map(|c| bytes(&c.to_bytes())).collect(),
        ),
        binary(
            "ciphertext_vector",
            round_trip_ciphertext_vector,
            vectors.iter().map(CiphertextVector::to_bytes).collect(),
        ),
        binary(
            "schnorr",
            round_trip_schnorr,
            schnorr.iter().map(|p| bytes(&p.to_bytes())).collect(),
        ),
        binary(
            "dleq",
            round_trip_dleq,
            dleq.iter().map(|p| bytes(&p.to_bytes())).collect(),
        ),
        binary(
            "range",
            round_trip_range,
            range.iter().map(RangeProof::to_bytes).collect(),
        ),
        binary(
            "enc_knowledge",
            round_trip_enc_knowledge,
            knowledge
                .iter()
                .map(EncryptionKnowledgeProof::to_bytes)
                .collect(),
        ),
        binary(
            "announcement",
            round_trip_announcement,
            announcements.iter().map(Announcement::to_bytes).collect(),
        ),
        binary(
            "dealing",
            round_trip_dealing,
            dealings.iter().map(Dealing::to_bytes).collect(),
        ),
        binary(
            "decryption_share",
            round_trip_decryption_share,
            shares.iter().map(DecryptionShare::to_bytes).collect(),
        ),
        binary(
            "list",
            round_trip_list,
            lists.iter().map(|l| l.to_bytes()).collect(),
        ),
        binary(
            "shuffle_proof",
            round_trip_shuffle_proof,
            shuffles.iter().map(|p| p.to_bytes()).collect(),
        ),
        Target {
            name: "json",
            check: round_trip_json::<J>,
            valid: texts,
            length_is_determined: false,
        },
    ]
}
