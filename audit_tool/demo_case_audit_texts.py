"""What the demo's agencies and moderation meeting wrote in the demo case-file audits.

Each bank holds a few differently worded texts; `demo_case_audits` hands each one out
once per case (answers) or per round (reflections), so agencies on the same case never
write the same words, and an agency left without one writes nothing, as real agencies
often do. Nothing here names a person or gives a full date: children are known by their
case reference, and people by their role.
"""

from __future__ import annotations

# For each graded question: (texts for a Good or better grade, texts for a lower one).
GRADED_COMMENTS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    # Domestic abuse
    "recognition-identify": (
        (
            "Abuse was recognised from the first contact, including control of money and "
            "of who the mother could see, not only the physical assaults.",
            "Controlling behaviour was noticed early: the mother could not attend "
            "appointments without her partner, and staff found a way to see her alone.",
            "Staff asked about abuse when the mother was seen alone, and acted on what she "
            "said the same day.",
        ),
        (
            "Several contacts recorded arguments at home without asking what the child was "
            "living with. The pattern was recognised only after the third police call-out.",
            "Staff focused on the physical incidents; the coercive control the mother "
            "described was recorded but not identified as abuse.",
            "Disclosures were recorded as relationship difficulties and not passed to the "
            "safeguarding team.",
        ),
    ),
    "assessment-pattern": (
        (
            "The assessment sets out two years of incidents, the escalation after "
            "separation and the partner's history with previous partners, and weighs the "
            "risk to the child from the whole pattern.",
            "Risk was reviewed after each new incident and the chronology was used to show "
            "how the abuse was escalating.",
            "Risk was assessed again when the partner asked to return home.",
        ),
        (
            "Each incident was assessed on its own. The increase in incidents over the "
            "spring was not identified, and the risk around separation was not considered.",
            "The assessment relied on the mother's account that the relationship had "
            "ended; this was not checked with other agencies.",
            "No risk assessment was repeated after the partner moved back in.",
        ),
    ),
    "planning-safety": (
        (
            "The safety plan was realistic for the family: a safe word agreed with school, "
            "a safe contact for the mother and a plan for leaving in an emergency.",
            "The safety plan was reviewed at each core group and changed when the "
            "partner's bail conditions ended.",
            "The plan was agreed with the mother and reviewed when the risk was highest.",
        ),
        (
            "The plan asked the mother to keep her partner away from the home, with no "
            "support to do so and no contingency if he returned.",
            "Every action in the plan was for the mother; none were for the person causing "
            "harm or for the agencies.",
            "Safety planning was discussed but never written down or shared with the family.",
        ),
    ),
    "joint-notifications": (
        (
            "Incidents were shared with children's social care and school within 24 hours, "
            "and the health visitor was told at the next contact.",
            "The agency attended every core group and strategy meeting and sent its "
            "chronology in advance.",
            "Information was shared before each meeting and every agency agreed the plan.",
        ),
        (
            "Information was shared late, or only when asked for, and the agency was not "
            "invited to the strategy discussion.",
            "Reports were not sent before meetings, so decisions were made without them.",
            "Our concerns were not shared with the police, and we did not know about their "
            "involvement.",
        ),
    ),
    "voice-experience": (
        (
            "The record uses the child's own words about being scared at night and wanting "
            "to stay with a grandparent, and shows how this shaped the plan.",
            "Direct work sessions captured how the child felt, and their worries were fed "
            "back to the core group.",
            "The record describes what staff saw of the child as well as what the child said.",
        ),
        (
            "The child is described through the adults' accounts. There is no record of "
            "the child's own view of home.",
            "The child was seen, but the record gives no sense of their daily life or what "
            "they were worried about.",
            "The child's wishes are recorded once, at the start of the period.",
        ),
    ),
    "impact-safer": (
        (
            "No further incidents since the protective order; attendance is back to normal "
            "and the child says they feel safer.",
            "The child and mother are settled in new accommodation with specialist support "
            "in place.",
            "The child is settled and there have been no further incidents.",
        ),
        (
            "Incidents continued throughout the period and the child's attendance fell. It "
            "is not clear the child is any safer.",
            "The relationship resumed without a new assessment of risk; the child's "
            "circumstances are largely unchanged.",
            "The child remains in the same circumstances and is still frightened at home.",
        ),
    ),
    # Neglect
    "recognition-signs": (
        (
            "Hunger at school, poor hygiene and missed health appointments were recognised "
            "early and recorded as possible neglect.",
            "The health visitor noticed the child's weight falling and acted at the next contact.",
        ),
        (
            "Missed appointments and poor hygiene were noted over several months but not "
            "seen as neglect until school made a referral.",
            "Concerns were recorded in different places and nobody put them together.",
        ),
    ),
    "assessment-impact": (
        (
            "The assessment links the home conditions to the child's delayed speech and "
            "frequent infections, and says what this means for the child now.",
            "A clear analysis of how the parents' difficulties affect the child's day.",
        ),
        (
            "The assessment describes the home and the parents' difficulties but says "
            "little about the impact on the child.",
            "The assessment was completed without the school's or the GP's information.",
        ),
    ),
    "planning-outcomes": (
        (
            "Outcomes are specific: registered with a dentist, at nursery four days a week, "
            "weight reviewed each month.",
            "The plan says who does what by when, and was reviewed on time.",
        ),
        (
            "The plan lists services to be offered, not the changes expected for the "
            "child, so drift was hard to see.",
            "Actions were carried from one review to the next without being completed.",
        ),
    ),
    "joint-sharing": (
        (
            "Shared the health chronology ahead of each core group and attended every meeting.",
            "Regular contact with the social worker between meetings, recorded on the file.",
        ),
        (
            "Attendance at core groups was patchy and reports were not sent in advance.",
            "Concerns were shared with the family's GP but not with children's social care.",
        ),
    ),
    "voice-daily-life": (
        (
            "Home visits describe the child's routine, what they eat and who gets them up "
            "for school, in the child's own words.",
            "The record gives a clear picture of the child's day and of who they turn to.",
        ),
        (
            "Visits were mainly with the parents; there is little about what a normal day "
            "is like for the child.",
            "The child's view is recorded once, at the start of the period.",
        ),
    ),
    "impact-difference": (
        (
            "Attendance and weight have improved and the home conditions have held for six months.",
            "The family now use the children's centre without prompting.",
        ),
        (
            "Improvements were short-lived: the same concerns were raised again within "
            "three months of the plan ending.",
            "Too early to say; the plan has only recently started to make a difference.",
        ),
    ),
}

# Comments on a "partly" or "no" answer, by question key and answer ("yes" needs none).
YES_PARTLY_NO_COMMENTS: dict[tuple[str, str], tuple[str, ...]] = {
    ("recognition-enquiry", "partly"): (
        "Routine enquiry was made once, but with the partner present.",
        "Asked at the first appointment only.",
    ),
    ("recognition-enquiry", "no"): ("No routine enquiry was made at any contact.",),
    ("recognition-child-victim", "partly"): (
        "Early records describe the child as a witness; as a victim only after the conference.",
        "Recognised as a victim in their own right only after the second incident.",
    ),
    ("recognition-child-victim", "no"): ("The child is described only as a witness.",),
    ("assessment-dash", "partly"): (
        "A DASH was completed at the first disclosure but not repeated after the separation.",
        "Completed, but several questions were left blank.",
    ),
    ("assessment-dash", "no"): (
        "No DASH or equivalent was completed, although abuse was disclosed twice.",
    ),
    ("assessment-marac", "partly"): (
        "Referred to MARAC, but the children's needs were not presented at the meeting.",
        "Referred after the second incident rather than the first.",
    ),
    ("assessment-marac", "no"): ("The risk met the threshold for MARAC but no referral was made.",),
    ("planning-perpetrator", "partly"): (
        "A referral to a perpetrator programme was made but not followed up when it was declined.",
        "Licence conditions were set but their breach was not acted on.",
    ),
    ("planning-perpetrator", "no"): (
        "The plan left the mother responsible for keeping the children safe.",
    ),
    ("planning-support", "partly"): (
        "The mother was referred to the IDVA service; there was no recovery work for the child.",
        "Support was offered but there was a long wait.",
    ),
    ("planning-support", "no"): ("No specialist support was offered to the mother or the child.",),
    ("joint-actions", "partly"): (
        "Two of the agency's three MARAC actions were completed; the third was not recorded.",
        "Actions were completed late.",
    ),
    ("joint-actions", "no"): ("None of the agency's MARAC actions is recorded as done.",),
    ("voice-seen-alone", "partly"): (
        "Seen alone once in the period, at school.",
        "Seen alone, but only after the conference asked for it.",
    ),
    ("voice-seen-alone", "no"): ("Always seen with a parent present.",),
    ("recognition-cumulative", "partly"): (
        "Each concern was dealt with on its own until school's referral brought them together.",
    ),
    ("recognition-chronology", "partly"): (
        "A chronology exists but was last updated before the period looked at.",
    ),
    ("assessment-tool", "partly"): ("The Graded Care Profile was started but not completed.",),
    ("assessment-household", "partly"): (
        "The younger sibling's needs were not assessed separately.",
    ),
    ("planning-drift", "partly"): (
        "The plan was reviewed on time but not changed when the same concerns continued.",
    ),
    ("planning-parents", "partly"): ("The mother's low mood was noted but no referral was made.",),
    ("joint-escalation", "partly"): (
        "A disagreement about the threshold was discussed informally but not escalated.",
    ),
    ("voice-seen", "partly"): ("Seen alone once in the period.",),
}

FREE_TEXT: dict[str, tuple[str, ...]] = {
    "impact-learning": (
        "Ask about abuse that is not physical. The control in this family was visible in "
        "our records long before the first assault was reported.",
        "Schools need to know the same day. Staff saw the child every morning and could "
        "have offered support sooner.",
        "The person causing harm needs to be part of the plan, not only the parent trying "
        "to protect the child.",
        "Ask other agencies what they know before deciding the risk is low.",
    ),
    "impact-reflection": (
        "A chronology shared between agencies would have shown the cumulative harm months earlier.",
        "Seeing the child alone at home, and asking about their day, made the difference "
        "once it started.",
        "Earlier help with the family's debts would have eased the pressure on the home.",
    ),
}

# An agency's reflections on a section, theme by theme in no particular order: what
# worked well, areas for development and recommendations.
REFLECTIONS: dict[str, dict[str, tuple[str, ...]]] = {
    "recognition": {
        "good_practice": (
            "Concerns were recorded promptly, and the record is clear about what was seen "
            "and by whom.",
            "Staff showed professional curiosity, asking follow-up questions rather than "
            "accepting the first explanation.",
            "The first contact after the referral looked at the whole family, not only the "
            "incident that led to it.",
        ),
        "development": (
            "Earlier concerns were recorded but not linked, so the picture built slowly.",
            "Recording does not always say what the concern meant for the child.",
            "Staff relied on the parent's explanation without checking it with other agencies.",
        ),
        "recommendations": (
            "Add a prompt to our recording template asking what the concern means for the child.",
            "Use this case in the next team briefing on recognising early signs.",
        ),
    },
    "assessment": {
        "good_practice": (
            "The assessment draws on other agencies' information and is clear about risk.",
            "Risk was reviewed when circumstances changed, not only at set review dates.",
            "The analysis is written in plain language the family could understand.",
        ),
        "development": (
            "Assessments described the family's circumstances more than their impact on the child.",
            "Other agencies' history was not asked for before the assessment was completed.",
            "The assessment was not updated after the family's circumstances changed.",
        ),
        "recommendations": (
            "Managers to check in supervision that assessments use the full history.",
            "Refresh training on analysing impact rather than describing circumstances.",
        ),
    },
    "planning": {
        "good_practice": (
            "The plan was clear about who would do what, and was reviewed on time.",
            "Support was offered quickly and matched what the family said they needed.",
            "The family helped to write the plan and understood what was expected.",
        ),
        "development": (
            "Actions were tasks for the parent rather than changes for the child.",
            "The plan was not changed when things did not improve.",
            "Our actions from the plan were not recorded on our own system.",
        ),
        "recommendations": (
            "Write outcome-focused actions with a named role and a timescale in every plan.",
            "Escalate through the partnership's procedure when a plan is not working after "
            "two reviews.",
        ),
    },
    "joint-working": {
        "good_practice": (
            "Information was shared quickly and we attended every multi-agency meeting.",
            "A good working relationship between the designated safeguarding lead and the "
            "social worker, with regular contact.",
            "We sent written reports to every core group, even when we could not attend.",
        ),
        "development": (
            "Reports were not always sent before meetings.",
            "We were not invited to the strategy discussion and did not ask to be.",
            "Minutes of meetings did not reach the staff who saw the child most often.",
        ),
        "recommendations": (
            "Agree who tells the school after an incident, and how quickly.",
            "Ask to be added to the circulation list for core group minutes.",
        ),
    },
    "voice": {
        "good_practice": (
            "The child's own words are recorded and were shared with the conference.",
            "Staff used direct work tools suited to the child's age and understanding.",
            "The child had the same worker throughout, and said this helped.",
        ),
        "development": (
            "The child was seen but their views are not recorded.",
            "The child was usually seen with a parent present.",
            "The child's wishes are recorded but it is not clear what was done with them.",
        ),
        "recommendations": (
            "Record the child's own words at every contact, and what was done with them.",
            "See the child alone at least once between reviews.",
        ),
    },
    "impact": {
        "good_practice": (
            "There is evidence that the child is safer and more settled.",
            "The family engaged well and the improvements have lasted.",
            "The child's attendance and health have improved over the period.",
        ),
        "development": (
            "It is hard to see what difference our involvement made.",
            "Improvements were not sustained once we stepped back.",
            "We closed our involvement before the changes had been tested.",
        ),
        "recommendations": (
            "Review the case again in six months to check the changes have lasted.",
            "Share the learning from this case in our safeguarding newsletter.",
        ),
    },
}

# The meeting's rationale for a section judgement: (Good or better, lower).
JUDGEMENT_RATIONALES: dict[str, tuple[str, str]] = {
    "recognition": (
        "Agencies recognised the abuse early and recorded it consistently, including "
        "controlling behaviour.",
        "Incidents were recorded without the pattern being recognised; recognition came "
        "late and from one agency.",
    ),
    "assessment": (
        "Risk assessments were completed, repeated when circumstances changed and drew on "
        "the history.",
        "Assessments looked at incidents one at a time and did not use the history other "
        "agencies held.",
    ),
    "planning": (
        "The plan was realistic, reviewed on time and held the person causing harm to account.",
        "The plan relied on the non-abusing parent to keep the child safe and was not "
        "changed when it did not work.",
    ),
    "joint-working": (
        "Information moved quickly between agencies and every agency contributed to meetings.",
        "Information did not reach every agency that needed it, and meetings went ahead "
        "without reports.",
    ),
    "voice": (
        "The child's experience is clear from the records, in the child's own words.",
        "Agencies saw the child but did not record what the child said or felt.",
    ),
    "impact": (
        "The child is safer and agencies can show how their work contributed.",
        "The child's circumstances did not improve enough during the period.",
    ),
}
