//! The authenticator conformance suite.

use crate::authenticator::{Arrival, Authenticator, SignInFields};

/// Runs every rule on `authenticator`, for which `valid` proves a person.
pub async fn run(authenticator: &dyn Authenticator, valid: SignInFields) {
    let fields = authenticator.fields();
    assert!(!fields.is_empty(), "the sign-in asks for something");
    for (index, field) in fields.iter().enumerate() {
        assert!(
            !fields[..index].iter().any(|other| other.name == field.name),
            "field names are unique: {}",
            field.name
        );
        assert!(!field.label.is_empty(), "every field has a label");
    }

    let user = authenticator
        .sign_in(&valid)
        .await
        .expect("signing in works")
        .expect("the valid fields prove a person");
    assert!(!user.subject.is_empty(), "a person has a subject");
    assert!(!authenticator.name().is_empty(), "the plugin names itself");
    assert!(
        !authenticator.refusal().is_empty(),
        "a refused sign-in is explained"
    );
    assert_eq!(
        authenticator
            .user(&user.subject)
            .await
            .expect("looking a person up works"),
        Some(user.clone()),
        "a person signed in is found again by subject, unchanged (browser sessions rely on it)"
    );
    for stranger in ["", "nobody-at-all", "\0", &"y".repeat(10_000)] {
        assert_eq!(
            authenticator
                .user(stranger)
                .await
                .expect("looking a stranger up is an answer"),
            None,
            "an unknown subject is nobody"
        );
    }

    assert_eq!(
        authenticator
            .sign_in(&SignInFields::default())
            .await
            .expect("no fields is an answer"),
        None,
        "no fields prove nobody"
    );
    for odd in ["", "\0", "wrong", "\u{1F600}", &"x".repeat(10_000)] {
        let mut guess = SignInFields::default();
        for field in fields {
            guess = guess.with(field.name, odd);
        }
        assert_eq!(
            authenticator
                .sign_in(&guess)
                .await
                .expect("a guess is an answer"),
            None,
            "a guess proves nobody: {:?}",
            odd.chars().take(8).collect::<String>()
        );
    }
}

/// Runs every rule on an authenticator that signs people in at another site, through
/// `sign_in_elsewhere`, which takes a departure's location, does the person's part there (a
/// sign-in at a real provider) and returns the answer the browser would bring back to
/// `callback`. `stranger` is a subject the authenticator's policy refuses.
pub async fn run_redirect<F, Fut>(
    authenticator: &dyn Authenticator,
    callback: &str,
    stranger: &str,
    mut sign_in_elsewhere: F,
) where
    F: FnMut(String) -> Fut,
    Fut: std::future::Future<Output = Arrival>,
{
    assert!(!authenticator.name().is_empty(), "the plugin names itself");
    let redirect = authenticator
        .redirect_sign_in()
        .expect("the authenticator signs in at another site");
    assert!(!redirect.label().is_empty(), "the button has a label");
    assert_eq!(
        authenticator
            .sign_in(&SignInFields::default())
            .await
            .expect("no fields is an answer"),
        None,
        "no fields prove nobody"
    );

    let departure = redirect.depart(callback).await.expect("departing works");
    let location = url::Url::parse(&departure.location).expect("the location is a URL");
    let query: std::collections::HashMap<String, String> =
        location.query_pairs().into_owned().collect();
    assert_eq!(
        query.get("redirect_uri").map(String::as_str),
        Some(callback),
        "the other site is told to come back to the callback"
    );
    assert_eq!(
        query.get("code_challenge_method").map(String::as_str),
        Some("S256"),
        "PKCE with S256"
    );
    for parameter in ["state", "nonce", "code_challenge", "client_id"] {
        assert!(
            query.get(parameter).is_some_and(|v| !v.is_empty()),
            "the departure carries {parameter}"
        );
    }
    assert!(!departure.pending.is_empty(), "something is remembered");
    let other = redirect
        .depart(callback)
        .await
        .expect("departing again works");
    assert_ne!(departure.pending, other.pending, "every departure is new");

    let arrival = sign_in_elsewhere(departure.location.clone()).await;
    let user = redirect
        .arrive(callback, &departure.pending, &arrival)
        .await
        .expect("the answer of a sign-in at the other site proves the person");
    assert!(!user.subject.is_empty(), "a person has a subject");
    assert_eq!(
        authenticator
            .user(&user.subject)
            .await
            .expect("looking a person up works"),
        Some(user.clone()),
        "a person signed in is found again by subject, unchanged (browser sessions rely on it)"
    );
    assert!(
        redirect
            .arrive(callback, &departure.pending, &arrival)
            .await
            .is_err(),
        "an answer proves a person once"
    );
    let fresh = sign_in_elsewhere(other.location.clone()).await;
    assert!(
        redirect
            .arrive(callback, &departure.pending, &fresh)
            .await
            .is_err(),
        "an answer to another departure proves nobody (its state differs)"
    );
    let refused = Arrival {
        state: query.get("state").cloned(),
        error: Some("access_denied".into()),
        error_description: Some("the person said no".into()),
        ..Arrival::default()
    };
    let error = redirect
        .arrive(callback, &departure.pending, &refused)
        .await
        .expect_err("the other site's refusal proves nobody");
    assert_eq!(error.code, crate::ErrorCode::AccessDenied);
    for odd in ["", "\0", "{}", "\u{1F600}", &"x".repeat(10_000)] {
        let guess = Arrival {
            code: Some(odd.into()),
            state: Some(odd.into()),
            iss: Some(odd.into()),
            ..Arrival::default()
        };
        assert!(
            redirect.arrive(callback, odd, &guess).await.is_err(),
            "an odd answer proves nobody: {:?}",
            odd.chars().take(8).collect::<String>()
        );
        assert!(
            redirect
                .arrive(callback, &other.pending, &guess)
                .await
                .is_err(),
            "an odd answer to a real departure proves nobody"
        );
    }
    for nobody in ["", "\0", stranger, &"y".repeat(10_000)] {
        assert_eq!(
            authenticator
                .user(nobody)
                .await
                .expect("looking a stranger up is an answer"),
            None,
            "a subject the policy refuses is nobody: {:?}",
            nobody.chars().take(16).collect::<String>()
        );
    }
}
