"""The Rome Statute provisions each kind of harm a survivor names MAY fall under.

This is an aid to whoever reads a package, not a legal qualification: whether an act is a crime
within the Court's jurisdiction depends on facts the account may not hold (the context, the
perpetrator's intent, the link with an attack or an armed conflict). Every package carries
CAUTION. Each citation was checked against the Rome Statute (https://www.icc-cpi.int/sites/
default/files/RS-Eng.pdf) and shared/reference/legal-facts.md; keep it so when editing, and cite
nothing that is not in the text. The keys are the harms of intake/answers.py (HARMS). English
only: the package is for the office that receives it.
"""

from dataclasses import dataclass

CAUTION = (
    "CAUTION: the provisions listed for each kind of harm are those it MAY fall under. This is "
    "not a legal qualification of the facts: whether an act is a crime within the jurisdiction "
    "of the International Criminal Court depends on facts this account may not hold."
)

# Every crime against humanity needs its context, and every war crime an armed conflict.
CONTEXT = (
    "Crimes against humanity (Art. 7) require that the act was committed as part of a widespread "
    "or systematic attack directed against any civilian population, with knowledge of the attack "
    "(Art. 7(1), chapeau; Art. 7(2)(a): pursuant to or in furtherance of a State or "
    "organizational policy). War crimes (Art. 8) require that the act took place in the context "
    "of and was associated with an armed conflict: Art. 8(2)(b) an international one, "
    "Art. 8(2)(e) one not of an international character. Genocide (Art. 6) requires the intent "
    "to destroy, in whole or in part, a national, ethnical, racial or religious group, as such."
)


@dataclass(frozen=True)
class Provision:
    citation: str
    reading: str


_SEXUAL_VIOLENCE_WAR_CRIMES = [
    Provision(
        "Art. 8(2)(b)(xxii)",
        "War crime in an international armed conflict: rape, sexual slavery, enforced "
        "prostitution, forced pregnancy, enforced sterilization, or any other form of sexual "
        "violence also constituting a grave breach of the Geneva Conventions.",
    ),
    Provision(
        "Art. 8(2)(e)(vi)",
        "War crime in an armed conflict not of an international character: the same acts, and "
        "any other form of sexual violence also constituting a serious violation of article 3 "
        "common to the four Geneva Conventions.",
    ),
]

_PERSECUTION = Provision(
    "Art. 7(1)(h), with Art. 7(2)(g) and 7(3)",
    "Crime against humanity of persecution, including on gender grounds (Art. 7(3)): the "
    "intentional and severe deprivation of fundamental rights contrary to international law by "
    "reason of the identity of the group (Art. 7(2)(g)). Only in connection with another act in "
    "Art. 7(1) or another crime within the jurisdiction of the Court.",
)

_PERSECUTION_POSSIBLY = Provision(
    "Art. 7(1)(h) (only possibly)",
    "Only possibly, as part of persecution (Art. 7(1)(h), 7(2)(g), 7(3)), if the acts were "
    "part of a severe deprivation of fundamental rights by reason of the identity of a group, "
    "connected with another act in Art. 7(1) or another crime within the Court's jurisdiction.",
)

PROVISIONS: dict[str, list[Provision]] = {
    "sexual_violence": [
        Provision(
            "Art. 7(1)(g)",
            "Crime against humanity: rape, sexual slavery, enforced prostitution, forced "
            "pregnancy, enforced sterilization, or any other form of sexual violence of "
            "comparable gravity.",
        ),
        *_SEXUAL_VIOLENCE_WAR_CRIMES,
    ],
    "sterilisation_or_pregnancy": [
        Provision(
            "Art. 7(1)(g)",
            "Crime against humanity: forced pregnancy (defined in Art. 7(2)(f): the unlawful "
            "confinement of a woman forcibly made pregnant, with the intent of affecting the "
            "ethnic composition of any population or carrying out other grave violations of "
            "international law) or enforced sterilization.",
        ),
        *_SEXUAL_VIOLENCE_WAR_CRIMES,
        Provision(
            "Art. 6(d)",
            "Genocide: imposing measures intended to prevent births within a national, "
            "ethnical, racial or religious group, with intent to destroy the group in whole or "
            "in part.",
        ),
    ],
    "forced_marriage": [
        Provision(
            "Art. 7(1)(k)",
            "Crime against humanity: other inhumane acts of a similar character intentionally "
            "causing great suffering, or serious injury to body or to mental or physical health "
            "(forced marriage was so charged and convicted in Ongwen, 2021).",
        ),
        Provision(
            "Art. 7(1)(g)",
            "Crime against humanity of sexual slavery, where the forced marriage amounted to it.",
        ),
    ],
    "detention": [
        Provision(
            "Art. 7(1)(e)",
            "Crime against humanity: imprisonment or other severe deprivation of physical "
            "liberty in violation of fundamental rules of international law.",
        ),
    ],
    "education": [_PERSECUTION],
    "work": [_PERSECUTION],
    "movement": [_PERSECUTION],
    "threats": [_PERSECUTION_POSSIBLY],
    "online_abuse": [_PERSECUTION_POSSIBLY],
    "other": [_PERSECUTION_POSSIBLY],
}


def provisions_for(harms: list[str]) -> list[dict[str, object]]:
    """Each kind of harm she named with the provisions it may fall under, in her order."""
    return [
        {
            "harm": harm,
            "may_fall_under": [
                {"citation": p.citation, "reading": p.reading} for p in PROVISIONS.get(harm, [])
            ],
        }
        for harm in harms
    ]
