//! The authenticator conformance suite.

use crate::authenticator::{Authenticator, SignInFields};

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
