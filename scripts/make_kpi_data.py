"""Write the council KPI tables in ``data/kpi/`` (see ``data/kpi/README.md``).

Real figures come from the two seed files in ``data/reference/`` (never retyped here):

* ``kpi_scorecard_2022_q2.csv``: the eight corporate KPIs of Dudley's Q2 2022/23 performance
  report, with their values for 2021-22 Q2, 2022-23 Q1 and 2022-23 Q2, target, unit, benchmark,
  directorate and council priority;
* ``pi2257_history.csv``: six quarters of PI 2257 (2021-22 Q1 to 2022-23 Q2) from the exception
  report. Where both files give a quarter, the scorecard's value is kept (they differ once:
  2021-22 Q2 is 410,400 on the scorecard and 410,000 in the history, which the exception
  report prints as "410k").

The exception report of PI 2257 and the 17 Public Health and Wellbeing directorate actions are
transcribed below from the same report (Health and Adult Social Care Scrutiny Committee papers,
25 January 2023); they are not in ``data/reference/``.

Everything else is synthetic and says so in its ``source`` column: a quarterly history from
2016-17 Q1 for every KPI (26 quarters, enough for Making Data Count charts), the 23 Adult Social
Care actions (the report counts them but does not list them) and two exception narratives for
invented dips. Each KPI's history is a piecewise-linear level through the anchor points in
:data:`PLANS` plus noise from its own random stream, rounded to the KPI's reporting precision.

Assumed by this book, not in the report: each KPI's tolerance and reporting precision
(:data:`ASSUMED`). The polarity is stated in :data:`ASSUMED` too, and checked against the
report's trend arrows.

The generator is deterministic (fixed seed, one random stream per KPI, fixed row order and
number formatting): running it twice gives the same bytes.

Usage: ``python scripts/make_kpi_data.py [--out data/kpi] [--seed 20230125]``
"""

from __future__ import annotations

import argparse
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from jsna.compute import performance
from jsna.inputs import kpis
from jsna.inputs.periods import quarter_index
from jsna.inputs.periods import quarters as quarters_between
from jsna.stats import targets

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT / "data" / "reference"
OUT = ROOT / "data" / "kpi"
SEED = 20230125
FIRST, LAST = "2016-17 Q1", "2022-23 Q2"

#: The report everything real comes from; the README cites it in full (Dudley Health and Adult
#: Social Care Scrutiny Committee papers, 25 January 2023).
_REPORT = "Dudley Q2 2022/23 performance report"
SCORECARD_SOURCE = f"{_REPORT}: KPI scorecard"
HISTORY_SOURCE = f"{_REPORT}: PI 2257 exception report"
EXCEPTION_SOURCE = f"{_REPORT}: exception reporting"
ACTION_SOURCE = f"{_REPORT}: Public Health and Wellbeing service summary sheet"
DEFINITION_SOURCE = f"{_REPORT}: KPI scorecard; polarity from its trend arrows; tolerance and decimals assumed"
SYNTHETIC_ACTION = "synthetic demonstration action"
SYNTHETIC_EXCEPTION = "synthetic demonstration narrative"

#: The one known disagreement between the two seed files: (KPI, quarter) -> (scorecard, history).
KNOWN_DISCREPANCIES = {("PI 2257", "2021-22 Q2"): (410400.0, 410000.0)}

#: Polarity, tolerance (with its basis) and reporting precision of each KPI: assumed, not in
#: the report (whose scorecard has no tolerances). Chosen so that a tolerance is a plausible
#: margin for the measure: a few percentage points for % KPIs, 10% of target for money.
ASSUMED = {
    "PI 2133": (targets.HIGH_IS_GOOD, 5.0, "absolute", 1),
    "PI 2132": (targets.HIGH_IS_GOOD, 1.0, "absolute", 1),
    "PI 501": (targets.HIGH_IS_GOOD, 3.0, "absolute", 1),
    "PI 2134": (targets.LOW_IS_GOOD, 2.0, "absolute", 1),
    "PI 1441": (targets.HIGH_IS_GOOD, 5.0, "absolute", 1),
    "PI 2257": (targets.HIGH_IS_GOOD, 10.0, "percent of target", 0),
    "PI 2074": (targets.HIGH_IS_GOOD, 2.0, "absolute", 1),
    "PI 2260": (targets.LOW_IS_GOOD, 1.0, "absolute", 1),
}


@dataclass(frozen=True)
class Plan:
    """How a KPI's synthetic history is drawn.

    ``anchors``: quarter -> underlying level, joined by straight lines (flat before the first and
    after the last). ``sd``: the noise (in the unit; for ``lognormal`` the sd of the log).
    ``step``: round to a multiple of this. ``fixed``: quarters given an exact synthetic value (a
    designed special cause). Values are clipped to ``low``..``high``.
    """

    anchors: dict[str, float]
    sd: float
    noise: str = "normal"
    step: float = 0.1
    low: float = 0.0
    high: float = 100.0
    fixed: dict[str, float] = field(default_factory=dict)


PLANS = {
    # Learning disability clients in settled accommodation: close to the 50% target, just under
    # it in most quarters (the real 73% of 2022-23 Q2 is then a clear special cause).
    "PI 2133": Plan(
        {
            "2016-17 Q1": 46.0,
            "2019-20 Q4": 49.0,
            "2020-21 Q2": 47.5,
            "2022-23 Q2": 49.0,
        },
        1.4,
    ),
    # Contacts ending in information and advice: slowly drifting down (the real jump to 23% in
    # 2022-23 Q2 came from adding manually recorded contacts, as the report explains).
    "PI 2132": Plan({"2016-17 Q1": 12.5, "2022-23 Q2": 10.0}, 0.7),
    # Reablement (ASCOF 2B): improving, with a designed fall in the first COVID-19 quarter.
    "PI 501": Plan(
        {
            "2016-17 Q1": 86.0,
            "2019-20 Q4": 90.0,
            "2020-21 Q2": 84.0,
            "2021-22 Q1": 91.0,
            "2022-23 Q2": 92.0,
        },
        1.5,
        fixed={"2020-21 Q1": 76.0},
    ),
    # Safeguarding concerns converted to enquiries (low is good): well under the 20% ceiling.
    "PI 2134": Plan({"2016-17 Q1": 12.0, "2022-23 Q2": 7.0}, 1.3),
    # Air Quality Action Plan actions on time: high, often 100%, with a designed fall when
    # officers were redeployed in the first COVID-19 quarter.
    "PI 1441": Plan(
        {
            "2016-17 Q1": 88.0,
            "2019-20 Q4": 96.0,
            "2020-21 Q2": 80.0,
            "2021-22 Q1": 98.0,
        },
        3.0,
        fixed={"2020-21 Q1": 62.5},
    ),
    # Scams Team savings (GBP a quarter): skewed, rising before 2021-22 (the real 2022-23
    # collapse to 135k and 6k then stands out).
    "PI 2257": Plan(
        {"2016-17 Q1": 260000.0, "2019-20 Q4": 380000.0, "2020-21 Q1": 450000.0},
        0.35,
        noise="lognormal",
        step=1000.0,
        high=np.inf,
    ),
    # Food premises broadly compliant: a slow rise, stalled while inspections paused in
    # 2020-21 and dipping as new unrated businesses came in (the real 86.6% of 2021-22 Q2).
    "PI 2074": Plan(
        {
            "2016-17 Q1": 83.5,
            "2019-20 Q4": 87.8,
            "2020-21 Q4": 87.6,
            "2021-22 Q1": 86.9,
            "2022-23 Q2": 90.0,
        },
        0.4,
    ),
    # Smoking at time of delivery (low is good): falling towards the 9% target, noisy quarter to
    # quarter as the real values (6.8%, 11.5%, 8.4%) are.
    "PI 2260": Plan({"2016-17 Q1": 13.8, "2019-20 Q4": 11.2, "2022-23 Q2": 9.8}, 1.0),
}

#: The Public Health and Wellbeing directorate plan actions at 2022-23 Q2, transcribed from the
#: report's service summary sheet: (reference, title, status as printed, progress narrative).
REAL_ACTIONS = (
    ("A.4149", "Working with partners to develop the aspirations of the child friendly borough", "ONTARGET", "Child Friendly Dudley Steering Group in operation. Recruitment to project manager role unsuccessful. Approval granted for Growing up in Dudley project and survey being sent to stakeholders. Further discussion required around UNICEF status"),
    ("A.4150", "Working with partners to promote childhood vaccines", "ONTARGET", "An ICB immunisation lead has been appointed and will soon come into post. A Black Country PH/ICB Collaboration Meeting has been established to look at opportunities to reduce inequalities. A Dudley System Group continues with partners, this is currently focusing on COVID and flu programmes. Including measures to reduce inequalities."),
    ("A.4151", "Working in partnership with Children's Services to complete a SEND needs assessment and Strategy", "ONTARGET", "Children's Services have completed the SEND needs assessment and strategy."),
    ("A.4152", "Working with communities, anchor organisations and partners to take forward asset based approached", "ONTARGET", "Support provided to community organisations to apply for Your Home, Your Forum grant funding and preparations for connecting older people funding event. Collaboration with community payback team to clear outdoor space in Coseley that has enabled a weekly Mum and toddler group to take place. Support has been provided to DIHC to integrate asset based approaches in the development of neighbourhood teams. Similar support has been provided to teams working on the development of Family Hubs and the Start for Life project. Working corporately to explore alternative models (e.g. a crowdfunding platform) for community groups to connect and seek grant funding for local projects."),
    ("A.4153", "Creating a health protection model and emergency planning structures and processes", "ONTARGET", "Monthly meetings continue. Training and updates have been provided to its members, meaning we have a core workforce, should the need arise."),
    ("A.4154", "Work with NHS, Social Care commissioners and providers to develop a programme to improve quality and minimise disruption to services from infectious disease", "ONTARGET", "An ICB Health Protection Group has been established. PH departments are working with colleagues to develop Terms of Reference and shape the group. The ICB are developing testing and treatment pathways as well as an MOU to put into place how we respond to outbreaks and incidents moving forward. The audit and education programme for social care continues. The PH Health Protection Team continues to support outbreak management within social care on a daily basis, to ensure effective management of cases and a rapid conclusion."),
    ("A.4155", "Development of integrated family hubs, providing health, education and social care for all Dudley Families", "ONTARGET", "Family hubs and Start for Life steering group operational. Working groups established around parent and infant mental health, parenting, infant feeding, and home learning environment. Project template submitted and delivery plan started."),
    ("A.4156", "Develop a system wide pathway to reducing loneliness and isolation", "ONTARGET", "Resources to support older people: Later Life Planning resource rolled out. A total of 302 copies distributed to DMBC, voluntary sector, community groups, businesses, and events. 10 briefing sessions delivered supporting 93 DMBC employees and 36 employees from 15 external organisations. Digital inequalities: 14 new referrals received this quarter. 316 hours of digital skills sessions delivered as 1-1s or group setting compared with 216 hours from last quarter. Currently 53 active participants. Many older people being supported are at high risk from digital exclusion due to health conditions, disabilities and poor mental health. Significant improvements in people's confidence in using technology, making new friends, increased contact with others and participating in their local community as well as reduced loneliness and isolation. Collaborative approaches: Healthy ageing team engaged with 27 local community groups that involve or support older people. These groups meet for social activities, hobbies and clubs, exercise and health. The team are using these opportunities to build relationships, provide support, help develop projects and discuss concerns on keeping healthy and well. Social connectedness network: September event postponed due to resources redirected to support cost of living situation. Currently asset mapping taking place of services and activities which focus on improving social connections and reducing loneliness."),
    ("A.4157", "To protect the people of Dudley by expanding the work of the trading standards team", "ONTARGET", "Trading Standards continues to focus on protecting consumer and legitimate businesses. Ongoing projects include dealing with premises selling illegal tobacco and vapes, investigating scams, investigating bogus carers targeting the vulnerable, and several investigations against second hand car dealers. It is expected that the current economic climate will increase demands on the service as business are forced to cut corners, and consumers take risks to save money."),
    ("A.4158", "Ensure robust emergency planning and business continuity processes are in place across the council and commissioned services to respond to incidents that impact our residents and services", "ONTARGET", "The Major Emergency Plan has been updated in September. Work on The Business Continuity Audit is in progress. The Service Area Critical Functions Report has been shared with Directors and Senior Management Teams to review. A Business Continuity Management Policy and a reviewed Incident Management Group Terms of Reference will be presented to next Incident Management Group meeting. A template has been developed for Directors and Senior Management Teams to complete an evaluation of contracted out services which are commissioned to deliver critical services on behalf of the organisation. One-to-One quality review meetings of completed Business Continuity Plans are being arranged with Heads of Service. Preparations are being made for Winter Planning."),
    ("A.4159", "Support the council wide response to poverty focusing on child poverty", "ONTARGET", "Creation of a multi-agency strategic group to co-ordinate poverty mitigation efforts across the borough. Poverty needs assessment and strategy commenced. Successful recruitment to Public Health Manager and Health Improvement Practitioner posts to focus on this agenda. Poverty proofing education and health to be added next year's business plan."),
    ("A.4160", "Improve links between delivery of Public Health goals and the regulatory activities of the Environmental Health and Trading Standards Service", "ONTARGET", "Work continues to develop links between food hygiene inspections and initiatives encourage healthy eating (tackling obesity), removing illicit tobacco from sale (reducing tobacco addiction/reducing smoking in pregnancy), improving air quality (tackling climate change) and visiting vulnerable residents who are targeted by scammers (tackling loneliness and isolation). Work is now underway to close several rogue premises across the borough which endemically supply illicit tobacco and illegal vapes."),
    ("A.4161", "To promote the extensive air quality monitoring network operated by Environmental Health and encourage the application of the data obtained to deliver cleaner air in the borough", "ONTARGET", "A program to promote the importance of air quality and the value of the data we hold is ongoing. Presentations have been given to SEB and Climate Change Scrutiny Committee, new roadside signage has been produced, and schools visits are being planned."),
    ("A.4162", "Work in collaboration with groups from marginalised communities to understand barriers to improving health and develop programmes to address these barriers", "ONTARGET", "Work undertaken with marginalised communities in Lye and Brierley Hill to address barriers to accessing services and receiving health information. This has included work with DIHC to develop flash cards for Primary Care settings to enable the Roma community and GP receptionists to understand the reason for their visit and the language support required."),
    ("A.4163", "work with partners and the community to co-produce an inclusion guide 'Making Dudley a Place for Everyone", "COMPLETED", "This has been completed with support from the National Development Team for Inclusion. This toolkit will be shared at partnership boards over the coming months. The Children and Young People's Public Health team and have identified inclusion as a priority for 2023/2024 and this will be added to next year's business plan."),
    ("A.4164", "Rebuild the Public Health Department following the 2 year covid response", "ONTARGET", "The learning and development department are supporting the H&WB division with a proposal which includes 5 key areas: creating a culture of coaching through everyday conversation offer coaching across the division facilitation of SLT to identify future business priorities Set up peer support groups and Facilitation of groups following the Employee Survey 2022"),
    ("A.4165", "Recommission and redesign Public Health contracts to be fit for the future and to meet the relevant regulations", "BEHIND", "Preparatory commissioning arrangements continue with Task and Finish groups refreshing service specifications, collectively agreeing and shaping services to ensure they are fit for the future as well as defining KPI's and service expectations. Continued delays in reaching an agreed model of integrated health and care in Dudley is likely to delay the commissioning of PH contracts - we await the decision from the ICB and transformation groups to assess whether the original requirements of the procurement, which saw Dudley Integrated Health and Care NHS Trust appointed as an Integrated Care Provider can be met given the length of time which has lapsed. In view of these delays it is likely that negotiations with incumbent providers of Public Health contracts will take place to discuss new 6 months/1 year contracts to provide adequate time for commissioning and mobilisation."),
)  # fmt: skip
REAL_ACTIONS_DIRECTORATE = "Public Health and Wellbeing"
STATUS_WORDS = {
    "ONTARGET": "on target",
    "COMPLETED": "complete",
    "BEHIND": "behind",
    "AHEAD": "ahead",
}

#: Adult Social Care has 23 actions in the report, all "on or exceeding target", but they are
#: not listed. These are invented, on themes from the report's Adult Social Care summary.
SYNTHETIC_ACTIONS = (
    ("Prepare for CQC assurance of adult social care from April 2023 through self-assessment and peer review", "on target", "Self-assessment against the four draft quality statements under way; peer review booked for quarter 3."),
    ("Redesign Pathway 1 (discharge home with care) to improve the reablement offer", "on target", "Scoping and modelling approved by the Integrated Commissioning Executive; options paper due in quarter 3."),
    ("Reduce delayed transfers of care through collaboratives with health partners", "ahead", "Net reduction in delays at the end of the quarter compared with quarter 1."),
    ("Provide bridging beds for people awaiting support at home after hospital", "on target", "Bridging beds in use; occupancy reviewed weekly with the acute trust."),
    ("Recruit apprentice home care workers to grow domiciliary care capacity", "on target", "First apprentice cohort recruited; induction complete."),
    ("Modernise the telecare offer and its literature", "complete", "Rebranding complete, literature updated and a service user video produced."),
    ("Upskill the workforce in technology-enabled care and digital alternatives", "on target", "Digital upskilling sessions started across teams."),
    ("Answer telecare alarm calls within industry standard times", "ahead", "Call handling above the industry standard throughout the quarter."),
    ("Support Dementia Gateways and dementia-friendly communities", "on target", "Gateways open at all sites; awareness events held with partners."),
    ("Reduce the number of people waiting over 12 months for a Care Act review (disability services)", "ahead", "Waiting list over 12 months lower than at the end of quarter 1."),
    ("Act on the housing needs assessment for people with disabilities to increase supported living capacity", "on target", "Recommendations agreed; market engagement planned."),
    ("Launch public and professional portals for raising safeguarding concerns", "complete", "Portals live on the council and partnership board websites."),
    ("Refresh safeguarding information on the Dudley People's Partnership Boards website", "complete", "Pages updated for the public and professionals."),
    ("Restructure mental health social work services", "on target", "Transition workshops arranged; new structure in place early quarter 3."),
    ("Reduce the number of people awaiting a mental health review", "on target", "Fewer cases waiting at the end of the quarter."),
    ("Complete the fair cost of care exercise with registered care providers", "on target", "Provider returns received and under analysis."),
    ("Prepare for the adult social care charging reforms", "on target", "Plans adjusted to the revised national timetable."),
    ("Monitor commissioned providers rated requires improvement or inadequate", "on target", "Risk-based quality visits carried out; inadequate ratings down on quarter 1."),
    ("Support suspended providers to restore safe services", "ahead", "One large nursing home supported to lift its suspension in phases."),
    ("Improve recording of contacts ending in information and advice", "on target", "Manual records now included in reporting."),
    ("Plan for winter surge with health partners", "on target", "Joint winter plan drafted with the integrated care board."),
    ("Improve the offer of carers' assessments and information for unpaid carers", "on target", "Carers' information pack refreshed; assessment backlog monitored monthly."),
    ("Deliver the adult social care workforce recruitment and retention plan", "on target", "Recruitment campaign running; agency use reviewed monthly."),
)  # fmt: skip
SYNTHETIC_ACTIONS_DIRECTORATE = "Adult Social Care"

#: The PI 2257 exception report (2022-23 Q2), transcribed from the report.
REAL_EXCEPTIONS = (
    {
        "kpi_id": "PI 2257",
        "period": "2022-23 Q2",
        "performance": (
            "The intervention figure is significantly below target due to various factors; In qtr "
            "2 the Scams Team (consisting of two officers, 1.8fte) have concentrated on providing "
            "ongoing support to known victims, which does not provide added value to intervention "
            "savings. They have also been diverted to assisting in other TS work – notably test "
            "purchasing and raids on illegal tobacco sellers – due to TS being short staffed and "
            "currently carrying two full time vacancies, one full time secondment to the "
            "Commonwealth Games, and one long term sick, which has had a significant impact on "
            "the team."
        ),
        "impact": (
            "Failure to support scam victims exposes them to continued risk of financial abuse "
            "and subsequent impacts on financial independence and mental health."
        ),
        "assurance": (
            "The issue has been addressed, and the service of free installation of call blockers "
            "has been promoted via social media. As a result the team has spent October dealing "
            "with new referrals and installing call blockers. As a result the savings accrued for "
            "October are £191,000. The team is expected therefore to be on or above target by end "
            "of qtr 3."
        ),
    },
)
#: Invented exception reports for the two designed dips of the synthetic history.
SYNTHETIC_EXCEPTIONS = (
    {
        "kpi_id": "PI 501",
        "period": "2020-21 Q1",
        "performance": (
            "Synthetic demonstration narrative, not from the council's reports. Fewer people were "
            "still at home 91 days after reablement in the first quarter of the COVID-19 "
            "pandemic: hospitals discharged people quickly under the national discharge guidance, "
            "and more of them went home needing more support."
        ),
        "impact": (
            "More people readmitted to hospital or moving into long-term care after reablement."
        ),
        "assurance": (
            "Daily discharge meetings with the acute trust and a therapist-led review of everyone "
            "readmitted within 91 days; the measure is expected to recover as discharge pathways "
            "settle."
        ),
    },
    {
        "kpi_id": "PI 1441",
        "period": "2020-21 Q1",
        "performance": (
            "Synthetic demonstration narrative, not from the council's reports. Fewer Air Quality "
            "Action Plan actions were completed on time because Environmental Health officers "
            "were redeployed to the COVID-19 response and roadside monitoring and school "
            "engagement were paused."
        ),
        "impact": (
            "Delays to measures that reduce exposure to nitrogen dioxide near busy roads."
        ),
        "assurance": (
            "The action plan timetable has been revised with the air quality steering group; "
            "officers return to the programme from the second quarter."
        ),
    },
)


# ---------------------------------------------------------------------------------------------
# Real rows from the seed files
# ---------------------------------------------------------------------------------------------
def read_seeds(reference: Path = REFERENCE) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The scorecard and the PI 2257 history exactly as committed."""
    scorecard = pd.read_csv(
        reference / "kpi_scorecard_2022_q2.csv", dtype=str, keep_default_na=False
    )
    history = pd.read_csv(
        reference / "pi2257_history.csv", dtype=str, keep_default_na=False
    )
    return scorecard, history


def scorecard_periods(scorecard: pd.DataFrame) -> dict[str, str]:
    """Value columns of the scorecard and their quarters: 'q2_2021_22' -> '2021-22 Q2'."""
    periods = {}
    for column in scorecard.columns:
        match = re.fullmatch(r"q([1-4])_(\d{4})_(\d{2})", column)
        if match:
            periods[column] = f"{match[2]}-{match[3]} Q{match[1]}"
    return periods


def real_values(scorecard: pd.DataFrame, history: pd.DataFrame) -> pd.DataFrame:
    """Every real value: kpi_id, period, value, source. The scorecard wins over the history."""
    rows = [
        (row["kpi_id"], period, float(row[column]), SCORECARD_SOURCE)
        for _, row in scorecard.iterrows()
        for column, period in scorecard_periods(scorecard).items()
    ]
    on_scorecard = {(k, p): v for k, p, v, _ in rows}
    for _, row in history.iterrows():
        key = (row["kpi_id"], f"{row['year']} {row['quarter']}")
        value = float(row["value_gbp"])
        if key in on_scorecard:
            if on_scorecard[key] != value and KNOWN_DISCREPANCIES.get(key) != (
                on_scorecard[key],
                value,
            ):
                raise ValueError(
                    f"the seed files disagree about {key}: {on_scorecard[key]} and {value}"
                )
            continue
        rows.append((*key, value, HISTORY_SOURCE))
    return pd.DataFrame(rows, columns=["kpi_id", "period", "value", "source"])


def definitions(scorecard: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for _, row in scorecard.iterrows():
        polarity, tolerance, basis, decimals = ASSUMED[row["kpi_id"]]
        rows.append(
            {
                "kpi_id": row["kpi_id"],
                "kpi_name": row["kpi_name"],
                "directorate": row["directorate"],
                "council_priority": row["council_priority"],
                "unit": row["unit"],
                "decimals": decimals,
                "polarity": polarity,
                "target": float(row["target"]),
                "tolerance": tolerance,
                "tolerance_basis": basis,
                "benchmark": row["benchmark"],
                "frequency": "quarterly",
                "source": DEFINITION_SOURCE,
            }
        )
    return pd.DataFrame(rows)


def check_polarity(scorecard: pd.DataFrame) -> None:
    """The assumed polarities give the report's own trend arrows."""
    periods = list(scorecard_periods(scorecard))
    last_year, previous, current = (scorecard[c].astype(float) for c in periods)
    polarity = scorecard["kpi_id"].map(lambda k: ASSUMED[k][0])
    short = targets.trend(current, previous, polarity)
    annual = targets.trend(current, last_year, polarity)
    if list(short) != list(scorecard["short_term_trend"]) or list(annual) != list(
        scorecard["annual_trend"]
    ):
        raise ValueError("an assumed polarity contradicts the report's trend arrows")


# ---------------------------------------------------------------------------------------------
# Synthetic history
# ---------------------------------------------------------------------------------------------
def level(plan: Plan, periods: list[str]) -> np.ndarray:
    x = np.array([quarter_index(p) for p in periods], float)
    anchors = sorted((quarter_index(p), v) for p, v in plan.anchors.items())
    return np.interp(x, [a for a, _ in anchors], [v for _, v in anchors])


def synthetic_series(
    kpi_id: str, plan: Plan, periods: list[str], seed: int
) -> np.ndarray:
    """One KPI's invented values for ``periods`` (a draw for every period, so the stream does
    not depend on which quarters are real)."""
    number = int(kpi_id.split()[-1])
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(number,)))
    noise = rng.standard_normal(len(periods))
    base = level(plan, periods)
    if plan.noise == "lognormal":
        values = base * np.exp(plan.sd * noise - plan.sd**2 / 2)
    else:
        values = base + plan.sd * noise
    for period, value in plan.fixed.items():
        values[periods.index(period)] = value
    values = np.clip(np.round(values / plan.step) * plan.step, plan.low, plan.high)
    return np.round(values, 6)


def values_table(defs: pd.DataFrame, real: pd.DataFrame, seed: int) -> pd.DataFrame:
    quarters = quarters_between(FIRST, LAST)
    real_keys = set(zip(real["kpi_id"], real["period"], strict=True))
    rows = []
    for kpi_id in defs["kpi_id"]:
        plan = PLANS[kpi_id]
        overlap = [p for p in plan.fixed if (kpi_id, p) in real_keys]
        if overlap:
            raise ValueError(
                f"{kpi_id}: a designed synthetic value would replace real quarters {overlap}"
            )
        drawn = synthetic_series(kpi_id, plan, quarters, seed)
        mine = real[real["kpi_id"] == kpi_id].set_index("period")
        for period, value in zip(quarters, drawn, strict=True):
            if period in mine.index:
                rows.append(
                    (
                        kpi_id,
                        period,
                        mine.at[period, "value"],
                        mine.at[period, "source"],
                    )
                )
            else:
                rows.append((kpi_id, period, float(value), kpis.SYNTHETIC))
        extra = set(mine.index) - set(quarters)
        if extra:
            raise ValueError(
                f"{kpi_id}: real quarters outside {FIRST}..{LAST}: {sorted(extra)}"
            )
    return pd.DataFrame(rows, columns=["kpi_id", "period", "value", "source"])


def actions_table() -> pd.DataFrame:
    rows = [
        (
            ref,
            title,
            REAL_ACTIONS_DIRECTORATE,
            LAST,
            STATUS_WORDS[status],
            progress,
            ACTION_SOURCE,
        )
        for ref, title, status, progress in REAL_ACTIONS
    ]
    rows += [
        (
            f"SYN-ASC-{i:02d}",
            title,
            SYNTHETIC_ACTIONS_DIRECTORATE,
            LAST,
            status,
            progress,
            SYNTHETIC_ACTION,
        )
        for i, (title, status, progress) in enumerate(SYNTHETIC_ACTIONS, start=1)
    ]
    return pd.DataFrame(rows, columns=[c.name for c in kpis.ACTIONS.columns])


def exceptions_table() -> pd.DataFrame:
    rows = [{**row, "source": EXCEPTION_SOURCE} for row in REAL_EXCEPTIONS]
    rows += [{**row, "source": SYNTHETIC_EXCEPTION} for row in SYNTHETIC_EXCEPTIONS]
    return pd.DataFrame(rows, columns=[c.name for c in kpis.EXCEPTIONS.columns])


def generate(seed: int = SEED, reference: Path = REFERENCE) -> dict[str, pd.DataFrame]:
    """The four tables, in memory."""
    scorecard, history = read_seeds(reference)
    check_polarity(scorecard)
    defs = definitions(scorecard)
    return {
        kpis.DEFINITIONS.name: defs,
        kpis.VALUES.name: values_table(defs, real_values(scorecard, history), seed),
        kpis.ACTIONS.name: actions_table(),
        kpis.EXCEPTIONS.name: exceptions_table(),
    }


def _number(value: float, decimals: int) -> str:
    return f"{value:.{decimals}f}"


def write(tables: dict[str, pd.DataFrame], out: Path) -> None:
    """Write the tables with fixed number formatting, then check them with :func:`jsna.kpis.load_kpis`.

    Synthetic exceptions must explain a below-target value, or the plan has drifted."""
    out.mkdir(parents=True, exist_ok=True)
    tables = {name: table.copy() for name, table in tables.items()}
    defs = tables[kpis.DEFINITIONS.name]
    decimals = defs.set_index("kpi_id")["decimals"]
    values = tables[kpis.VALUES.name]
    values["value"] = [
        _number(v, decimals[k])
        for k, v in zip(values["kpi_id"], values["value"], strict=True)
    ]
    for column in ("target", "tolerance"):
        defs[column] = [np.format_float_positional(v, trim="-") for v in defs[column]]
    for name, table in tables.items():
        table.to_csv(
            out / f"{name}.csv", index=False, lineterminator="\n", encoding="utf-8"
        )
    loaded = kpis.load_kpis(out)
    for narrative in SYNTHETIC_EXCEPTIONS:
        kpi_id, period = narrative["kpi_id"], narrative["period"]
        row = performance.scorecard(loaded, period).set_index("kpi_id").loc[kpi_id]
        if row["score"] != "below target":
            raise ValueError(
                f"synthetic exception for {kpi_id} {period}, but it scores {row['score']!r}"
            )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args(argv)
    tables = generate(args.seed)
    write(tables, args.out)
    print(
        f"wrote {args.out}: "
        + ", ".join(f"{name} {len(t)} rows" for name, t in tables.items())
    )


if __name__ == "__main__":
    main()
