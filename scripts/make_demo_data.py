"""Generate the synthetic demonstration data in ``data/demo/`` (see ``data/README.md``).

The demonstration borough is shaped like Dudley (E08000027): its five townships and 24 wards,
about 190 small areas, 43 GP practices in six primary care networks, years 2013 to 2022. Every
number below the borough is invented; borough totals are calibrated to the published Dudley
figures named in the ``*_TARGET`` constants (sources: OHID Fingertips extract of 29/09/2022 and
ONS Census 2021, as quoted in the Dudley Health and Adult Social Care Scrutiny Committee papers,
25 January 2023; see ``data/reference/``).

Deprivation drives everything: each small area has a deprivation rank, and mortality, births,
admissions, child weight, smoking in pregnancy and disease prevalence are all graded by it, so
the inequalities the book reports are really in the data. The tables added for the full
indicator set (issue 4: maternity, suicide and drug misuse deaths, deaths by season, child health,
practice services, dementia, adult excess weight, reablement) are drawn from their own random
streams, so adding them left the earlier tables as they were; only the deaths table changed, by
carving new causes out of deaths already drawn (every cell keeps its total).

The generator is deterministic: a fixed seed (one independent random stream per table family,
so changing one table does not change the others), rows written in a fixed sorted order,
fixed float formatting and gzip with ``mtime=0``. Running it twice gives the same bytes.

Calibration: the mortality, admission, child weight and prevalence levels are *solved* here
so that the expected borough values equal the targets; the counts are then drawn as Poisson or
binomial variates, so the realised figures differ from the targets by sampling noise only.

Usage: ``python scripts/make_demo_data.py [--out data/demo] [--seed 20230125] [--sparse]``; with
``--sparse`` hospital admissions and conceptions are thinned so that small counts are common (a
harder test of disclosure control; never written to ``data/demo``).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.optimize import brentq, fsolve
from scipy.special import expit

from jsna.errors import DataError
from jsna.inputs.kit import Kit, load_kit, type_ids

# ---------------------------------------------------------------------------------------------
# Fixed structure
# ---------------------------------------------------------------------------------------------
SEED = 20230125
#: Which Poisson draw of deaths the demonstration uses. The expected deaths hit the published
#: life expectancy and slope index of inequality exactly, but any one draw scatters around them
#: (the SII's standard error is about 0.6 years). On the real geography, draw 46 of the first 60
#: is the one whose 2018-20 SIIs at birth both land within 0.15 years of the published ones, and
#: its life expectancies within 0.3 (chosen by that search, stated here): the
#: inequalities chapter can then be read against the real Dudley figures. Draw 0 is the
#: ``mortality`` stream itself.
MORTALITY_DRAW = 46
YEARS = np.arange(2013, 2023)
SEXES = ("Male", "Female")
AGE_BANDS = ("0", "1-4") + tuple(f"{a}-{a + 4}" for a in range(5, 90, 5)) + ("90+",)
AGE_START = np.array([0, 1] + list(range(5, 95, 5)))
AGE_WIDTH = np.array([1, 4] + [5] * 17 + [np.inf])
AGE_MID = np.array([0.5, 3.0] + [a + 2.5 for a in range(5, 90, 5)] + [93.0])
CAUSES = ("circulatory", "cancer", "respiratory", "digestive", "external", "mental_behavioural", "other")
#: Causes of the deaths table: the broad causes plus two carved out of external and
#: mental_behavioural deaths (see refine_causes).
DEATH_CAUSES = CAUSES + ("suicide", "drug_misuse")
PREVENTABLE = ("false", "true")
CONDITIONS = ("copd", "chd", "stroke", "self_harm", "alcohol_narrow", "falls", "hip_fracture", "child_injury")
#: Conditions added later, drawn from their own random stream so the earlier draws stay as they were.
LATER_CONDITIONS = ("uti",)
SCHOOL_YEARS = ("Reception", "Year 6")
REGISTERS = ("diabetes", "chd", "hypertension", "copd", "depression", "dementia")
SEASONS = ("aug_nov", "dec_mar", "apr_jul")

#: European Standard Population 2013, the 20 life-table bands (0-4 split 1,000 / 4,000).
ESP2013 = np.array(
    [1000, 4000, 5500, 5500, 5500, 6000, 6000, 6500, 7000, 7000, 7000, 7000, 6500, 6000, 5500, 5000, 4000, 2500, 1500, 1000],
    dtype=float,
)

#: The geography kit the demonstration data are made on (data/README.md, "Geography kits").
DEFAULT_KIT = Path(__file__).resolve().parent.parent / "data" / "kits" / "dudley"

# ---------------------------------------------------------------------------------------------
# Calibration targets (real Dudley figures) and their sources. "Census": ONS Census 2021;
# "Fingertips": OHID Fingertips, extract 29/09/2022; both as quoted in the Dudley scrutiny
# papers of 25 January 2023 (data/reference/). "Typical": a plausible level, not published there.
# ---------------------------------------------------------------------------------------------
#: Census 2021: the population the absolute targets below refer to; another kit's targets scale
#: with its population (:func:`population_scale`).
POPULATION_2021_TARGET = 323_500

LE_BIRTH_2020_TARGET = {"Male": 77.84, "Female": 81.84}  # Fingertips, 2020
LE_65_2020_TARGET = {"Male": 17.48, "Female": 20.37}  # Fingertips, 2020
SII_LE_BIRTH_TARGET = {"Male": 9.2, "Female": 8.6}  # Fingertips, 2018-20
SII_LE_65_TARGET = {"Male": 5.3, "Female": 4.7}  # Fingertips, 2018-20
INFANT_MORTALITY_TARGET = 4.29  # per 1,000 live births, Fingertips, 2018-20
U75_PREVENTABLE_CANCER_DSR_TARGET = 62.88  # per 100,000, ESP2013, Fingertips, 2020

#: Emergency admissions: (target, year the target refers to, rate basis). Fingertips where
#: published in the source; falls, hip fracture and child injury are typical levels.
ADMISSION_TARGETS = {
    "copd": (479.22, 2020, "dsr"),  # 2019/20
    "chd": (369.33, 2021, "dsr"),  # 2020/21
    "stroke": (137.07, 2021, "dsr"),  # 2020/21
    "self_harm": (151.97, 2021, "dsr"),  # 2020/21
    "alcohol_narrow": (489.67, 2021, "dsr"),  # 2020/21
    "falls": (2100.0, 2021, "dsr65"),  # per 100,000 aged 65+, ESP2013 65+ bands
    "hip_fracture": (560.0, 2021, "dsr65"),  # per 100,000 aged 65+, ESP2013 65+ bands
    "child_injury": (1000.0, 2021, "crude0_14"),  # 100 per 10,000 aged 0-14
    # Urinary tract infections, 65+: England's level. NHS England (October 2023): 147,285
    # emergency admissions with a primary diagnosis of UTI in 2022/23, 56% of them aged over 65;
    # over ONS Census 2021's 10.4 million people aged 65+ in England, about 790 per 100,000.
    "uti": (790.0, 2022, "dsr65"),
}

YEAR6_EXCESS_WEIGHT_TARGET = 40.38  # %, Fingertips, 2017/18-2019/20
RECEPTION_EXCESS_WEIGHT_TARGET = 25.47  # %, Fingertips, 2017/18-2019/20
YEAR6_OBESE_TARGET = 24.0  # %, typical
RECEPTION_OBESE_TARGET = 10.0  # %, typical

LIVE_BIRTHS_PER_INFANT = 1.01  # live births in a year per resident aged 0 at mid-year (typical)
TERM_LBW_TARGET = 0.030  # term babies under 2,500 g (typical)
SMOKING_AT_DELIVERY_TARGET = 0.11  # 2020 (typical; KPI PI 2260 ran 6.8-11.5% in 2021-22)

#: QOF register prevalence (%), year 2021 = 2020/21. Diabetes and CHD: Fingertips; the others
#: typical levels.
REGISTER_TARGETS_2021 = {"diabetes": 7.99, "chd": 4.03, "hypertension": 15.0, "copd": 2.3, "depression": 13.0}
EMERGENCY_CANCER_2021_TARGET = 1770  # admissions, 2020/21 (OHID: 539 per 100,000; range 39-948)

SURVEY_2021 = {"smoking": 16.90, "inactivity": 29.61}  # Fingertips, 2020/21 (published values)
SURVEY_2013 = {"smoking": 20.0, "inactivity": 31.0}  # start of the synthetic trend

# ---------------------------------------------------------------------------------------------
# Modelling assumptions (invented, plausible)
# ---------------------------------------------------------------------------------------------
#: Share of each age band that is male (England-like): splits a kit's persons by sex.
MALE_SHARE = np.array(
    [0.512, 0.512, 0.512, 0.512, 0.515, 0.505, 0.500, 0.495, 0.495, 0.495, 0.495, 0.493, 0.493, 0.490, 0.485, 0.475,
     0.460, 0.430, 0.380, 0.290]
)
#: Annual growth of each age band, used to project a kit's population to the years it lacks (ageing).
AGE_GROWTH = np.array(
    [-0.012, -0.008, 0.004, 0.012, 0.002, -0.010, 0.002, 0.010, 0.006, -0.016, -0.014, 0.008, 0.016, 0.008, -0.006,
     0.022, 0.012, 0.008, 0.016, 0.026]
)
#: Mortality per person-year, England-like shape (bands 1-4 .. 90+; band 0 comes from births).
MORTALITY_BASE = {
    "Male": np.array([0, 12, 7, 9, 28, 45, 55, 75, 105, 155, 235, 350, 540, 850, 1350, 2150, 3600, 6300, 11500, 24000]) / 1e5,
    "Female": np.array([0, 10, 6, 7, 13, 18, 25, 38, 60, 95, 155, 235, 350, 540, 860, 1400, 2400, 4400, 8500, 20000]) / 1e5,
}
INFANT_SEX_RATIO = {"Male": 1.2, "Female": 1.0}  # boys' infant mortality relative to girls'
INFANT_GRADIENT = 0.8  # log infant mortality per unit of deprivation rank
BIRTH_SEX_SHARE = {"Male": 0.513, "Female": 0.487}
#: Mortality relative to 2020 (calibration year): stalled improvement in the 2010s, COVID in 2020-21.
MORTALITY_YEAR = dict(zip(YEARS.tolist(), [1.00, 0.97, 0.99, 0.98, 0.98, 0.97, 0.95, 1.00, 0.99, 0.98]))
#: Shape of the deprivation gradient by age within the under-65 and 65+ groups (band 0 unused).
GRADIENT_SHAPE = np.array([0.0, 0.6, 0.6, 0.6] + [1.0] * 10 + [1.0, 1.0, 0.9, 0.8, 0.7, 0.6])
AREA_MORTALITY_SD = 0.08  # unexplained small-area variation (log scale)

#: Share of deaths by cause (columns in CAUSES order) for age groups starting at these ages.
CAUSE_AGE_STARTS = (0, 1, 15, 35, 55, 75, 85)
CAUSE_SHARES = np.array(
    [
        [0.02, 0.01, 0.03, 0.02, 0.04, 0.00, 0.88],
        [0.05, 0.20, 0.08, 0.03, 0.25, 0.01, 0.38],
        [0.08, 0.12, 0.04, 0.05, 0.50, 0.08, 0.13],
        [0.20, 0.32, 0.06, 0.12, 0.15, 0.05, 0.10],
        [0.24, 0.43, 0.11, 0.07, 0.02, 0.02, 0.11],
        [0.26, 0.28, 0.15, 0.04, 0.01, 0.09, 0.17],
        [0.27, 0.13, 0.17, 0.03, 0.02, 0.18, 0.20],
    ]
)
#: Extra deprivation gradient of each cause's share (log scale per unit of rank).
CAUSE_GRADIENT = np.array([0.1, -0.1, 0.5, 0.6, 0.4, 0.2, 0.0])
#: Share of under-75 deaths considered preventable, by cause (cancer is solved for the target).
PREVENTABLE_SHARE = np.array([0.75, np.nan, 0.55, 0.70, 0.85, 0.60, 0.15])

PRETERM_BY_RANK = (0.055, 0.085)  # preterm share, least / most deprived areas (term ~93%)
LBW_GRADIENT = 0.7  # log-odds per unit of rank
SMOKING_DELIVERY_GRADIENT = 2.6  # log-odds per unit of rank
SMOKING_DELIVERY_YEAR = 0.055  # fall in log-odds per year
TWIN_EXCESS = 0.016  # live births beyond maternities (multiple births)
STILLBIRTH = 0.004  # maternities with no live birth

#: Emergency admissions: relative rate by age band, male:female ratio, deprivation gradient.
ADMISSION_AGE = {
    "copd": [0, 0, 0, 0, 0, 0, 0, 0, 0.5, 2, 6, 15, 35, 70, 120, 190, 270, 340, 380, 360],
    "chd": [0, 0, 0, 0, 0, 0, 0, 0.3, 1, 3, 8, 18, 35, 55, 80, 110, 140, 170, 190, 180],
    "stroke": [0, 0, 0, 0, 0.1, 0.1, 0.2, 0.3, 0.6, 1.2, 2.5, 5, 9, 16, 28, 48, 80, 125, 170, 190],
    "self_harm": [0, 0, 0, 12, 60, 45, 32, 28, 26, 24, 20, 16, 11, 7, 5, 4, 4, 5, 5, 5],
    "alcohol_narrow": [0, 0, 0, 0.2, 2, 4, 6, 9, 13, 17, 21, 24, 25, 24, 22, 19, 15, 11, 7, 4],
    "falls": [0] * 14 + [1, 1.8, 3.5, 7, 12, 18],
    "hip_fracture": [0] * 14 + [1, 2, 4.5, 9, 16, 26],
    "child_injury": [1.5, 1.3, 0.7, 0.9] + [0] * 16,
    "uti": [0] * 14 + [1, 1.6, 2.8, 4.8, 7.5, 11],  # 90+ about 11 times 65-69 (UKHSA 2023/24: 3,367 per 100,000 at 90+)
}
ADMISSION_MALE_RATIO = {
    "copd": 1.1, "chd": 2.2, "stroke": 1.25, "self_harm": 0.6, "alcohol_narrow": 1.9, "falls": 0.7,
    "hip_fracture": 0.55, "child_injury": 1.3, "uti": 0.8,
}
ADMISSION_GRADIENT = {
    "copd": 1.6, "chd": 0.9, "stroke": 0.6, "self_harm": 1.1, "alcohol_narrow": 1.1, "falls": 0.4,
    "hip_fracture": 0.3, "child_injury": 0.7, "uti": 0.5,
}
#: Admissions relative to the pre-pandemic level: +1% a year to 2019/20, the pandemic year
#: 2020/21 (year 2021) lower, recovery in 2021/22.
ADMISSION_TREND = 0.01
ADMISSION_PANDEMIC = {
    "copd": 0.60, "chd": 0.85, "stroke": 0.95, "self_harm": 0.95, "alcohol_narrow": 0.95, "falls": 0.90,
    "hip_fracture": 1.00, "child_injury": 0.80, "uti": 0.85,
}
ADMISSION_2022 = 0.97

MEASURED_SHARE = 0.95  # share of the school-year cohort measured
CHILD_WEIGHT_GRADIENT = {"Reception": 0.55, "Year 6": 0.60}  # log-odds per unit of rank
OBESE_GRADIENT = 0.45  # log-odds of obese among excess weight, per unit of rank
#: Change in log-odds per year (Year 6 rising) and the pandemic jump of 2020/21.
CHILD_WEIGHT_TREND = {"Reception": 0.0, "Year 6": 0.012}
CHILD_WEIGHT_2021 = {"Reception": 0.15, "Year 6": 0.18}

#: GP registration: distance decay (km), age tilt of practice lists, smallest share kept,
#: extra registrations by age (list inflation: moved-away young adults).
CATCHMENT_KM = 1.0
PRACTICE_AGE_TILT_SD = 0.25
MIN_REGISTRATION_SHARE = 0.02
LIST_INFLATION_AGE = np.where((AGE_START >= 20) & (AGE_START < 35), 1.05, 1.0)

#: Relative register prevalence by age band, deprivation gradient, practice variation,
#: prevalence relative to 2021 in each year, and the ages the register covers.
REGISTER_AGE = {
    "diabetes": [0, 0, 0, 0.1, 0.3, 0.5, 0.8, 1.2, 2, 3.2, 5, 7, 9.5, 12, 14, 16, 17, 17, 15, 12],
    "chd": [0, 0, 0, 0, 0, 0, 0, 0.05, 0.2, 0.5, 1.2, 2.5, 4.5, 7, 10, 13, 16, 19, 21, 22],
    "hypertension": [0, 0, 0, 0, 0.2, 0.5, 1, 2, 4, 7, 11, 17, 24, 32, 40, 48, 55, 60, 62, 62],
    "copd": [0, 0, 0, 0, 0, 0, 0, 0.1, 0.3, 0.7, 1.3, 2.4, 3.8, 5.5, 7, 8.5, 9.5, 10, 9.5, 8],
    "depression": [0, 0, 0, 0, 12, 16, 17, 17, 16, 15, 15, 14, 13, 12, 10, 9, 9, 9, 9, 9],
}
REGISTER_GRADIENT = {"diabetes": 0.7, "chd": 0.45, "hypertension": 0.20, "copd": 1.0, "depression": 0.35}
REGISTER_PRACTICE_SD = {"diabetes": 0.12, "chd": 0.12, "hypertension": 0.08, "copd": 0.18, "depression": 0.20}
REGISTER_TREND = {  # borough prevalence relative to 2021, 2013..2022
    "diabetes": [0.85, 0.87, 0.89, 0.91, 0.93, 0.95, 0.97, 0.99, 1.00, 1.03],
    "chd": [1.09, 1.08, 1.07, 1.06, 1.05, 1.04, 1.02, 1.01, 1.00, 0.99],
    "hypertension": [0.96, 0.965, 0.97, 0.975, 0.98, 0.985, 0.99, 0.995, 1.00, 1.01],
    "copd": [0.95, 0.955, 0.96, 0.965, 0.97, 0.975, 0.98, 0.99, 1.00, 1.01],
    "depression": [0.50, 0.55, 0.60, 0.66, 0.72, 0.79, 0.86, 0.93, 1.00, 1.07],
}
#: Share of each age band the register covers (17+: three-fifths of 15-19; 18+: two-fifths).
REGISTER_COVERS = {
    "diabetes": np.where(AGE_START >= 20, 1.0, np.where(AGE_START == 15, 0.6, 0.0)),
    "chd": np.ones(20),
    "hypertension": np.ones(20),
    "copd": np.ones(20),
    "depression": np.where(AGE_START >= 20, 1.0, np.where(AGE_START == 15, 0.4, 0.0)),
}
EMERGENCY_CANCER_AGE = [10, 10, 10, 10, 15, 15, 30, 30, 80, 80, 250, 250, 600, 600, 1200, 1200, 1900, 1900, 2200, 2200]
EMERGENCY_CANCER_GRADIENT = 0.5
EMERGENCY_CANCER_PRACTICE_SD = 0.2

SURVEY_RESPONDENTS = (400, 600)
SURVEY_2022_CHANGE = {"smoking": -0.6, "inactivity": -0.4}  # points, 2021 to 2022
#: Year-to-year jitter of the other years' estimates around the trend (points): smaller than the
#: sampling error, so that the demonstration trend stays readable.
SURVEY_JITTER = 0.8

# ---------------------------------------------------------------------------------------------
# The full indicator set (issue 4): targets and assumptions of the tables added for it. Each
# family has its own random stream, so adding these left every earlier table's numbers as they
# were, except where a table is refined on purpose (the deaths table's causes, below).
# ---------------------------------------------------------------------------------------------
#: Maternity (births table), by financial year of delivery (year 2019 = 2018/19).
SMOKING_EARLY_PREGNANCY_2019_TARGET = 0.1565  # Fingertips, 2018/19 (published 15.65%)
EARLY_BOOKING_2019_TARGET = 0.7481  # booked by 12 weeks 6 days; Fingertips, 2018/19 (published 74.81%)
SMOKING_EARLY_GRADIENT = 1.6  # log-odds of smoking at booking among non-smokers at delivery, per unit of rank
EARLY_BOOKING_GRADIENT = -0.8  # log-odds per unit of rank (more deprived areas book later)
EARLY_BOOKING_YEAR = 0.04  # rise in log-odds per year

#: Causes carved out of the broad causes (rates per 100,000 by age band, male; female x ratio).
SUICIDE_DSR_TARGET = 10.31  # ESP2013, aged 10+, 2019-21 pooled; Fingertips (published 10.31)
DRUG_MISUSE_DSR_TARGET = 4.19  # ESP2013, all ages, 2018-20 pooled; Fingertips (published 4.19)
SUICIDE_AGE = [0, 0, 0, 1, 6, 13, 16, 18, 20, 21, 23, 22, 19, 15, 12, 11, 12, 13, 14, 12]
DRUG_MISUSE_AGE = [0, 0, 0, 0, 1, 4, 8, 11, 13, 14, 13, 10, 6, 3, 1.5, 0.8, 0.3, 0.3, 0, 0]
SUICIDE_FEMALE_RATIO, DRUG_MISUSE_FEMALE_RATIO = 0.33, 0.4
SUICIDE_GRADIENT, DRUG_MISUSE_GRADIENT = 0.6, 1.6  # log rate per unit of rank
CARVE_CAP = 0.9  # at most this share of a cell's source deaths is carved out
#: Share of under-75 circulatory deaths considered preventable (typical: about two-fifths under
#: the OHID 2019 definition). The first draw used 0.75; preventable deaths are re-flagged down
#: to this share, which changes neither the cause nor the total of any cell.
CIRCULATORY_PREVENTABLE_SHARE = 0.42

#: Excess winter mortality index (%) by winter (Aug-Jul year ending in the key). 2020 (Aug 2019 -
#: Jul 2020) is Dudley's published 20.2 (Fingertips); the other winters are a typical pattern
#: (flu seasons 2015 and 2018, the COVID-19 winter 2021), not published figures.
EWM_INDEX = {2013: 15.0, 2014: 12.0, 2015: 27.0, 2016: 14.0, 2017: 21.0, 2018: 30.0, 2019: 15.0, 2020: 20.2,
             2021: 35.0, 2022: 8.0, 2023: 15.0}

#: Child health (typical levels unless named; financial or academic year ending in the key).
SCHOOL_READINESS = {2013: 0.60, 2014: 0.63, 2015: 0.655, 2016: 0.675, 2017: 0.685, 2018: 0.69, 2019: 0.695,
                    2020: 0.695, 2021: 0.69, 2022: 0.65}  # EYFS good level of development
SCHOOL_READINESS_GRADIENT = -0.9
MMR1_AGE2 = {2013: 0.93, 2014: 0.93, 2015: 0.925, 2016: 0.925, 2017: 0.92, 2018: 0.915, 2019: 0.91,
             2020: 0.905, 2021: 0.90, 2022: 0.895}
MMR_GRADIENT = -0.9
UNDER_18_CONCEPTIONS_2020_TARGET = 20.0  # per 1,000 females aged 15-17, calendar 2020 (typical)
UNDER_18_CONCEPTIONS_TREND = -0.06  # log rate per year
UNDER_18_CONCEPTIONS_GRADIENT = 1.8
LOW_INCOME_2021_TARGET = 0.25  # children under 16 in relative low income, 2020/21 (DWP: 1 in 4)
LOW_INCOME_2021_CHILDREN = 15_464  # DWP, 2020/21; scaled by population_scale for another kit
LOW_INCOME_BY_YEAR = {2013: 0.19, 2014: 0.19, 2015: 0.195, 2016: 0.21, 2017: 0.22, 2018: 0.235, 2019: 0.25,
                      2020: 0.265, 2021: 0.25, 2022: 0.255}  # relative to the 2021 target, then scaled
LOW_INCOME_GRADIENT = 3.0

#: GP practice services (financial years; typical unless named).
CERVICAL_SCREENING = {2013: 0.755, 2014: 0.75, 2015: 0.745, 2016: 0.74, 2017: 0.735, 2018: 0.73, 2019: 0.725,
                      2020: 0.72, 2021: 0.70, 2022: 0.705}  # women 25-64 adequately screened
CERVICAL_GRADIENT = -0.5
#: NHS Health Check: share of the eligible population (40-74, not on a cardiovascular register)
#: checked in the year. 2019 (2018/19) is four times Dudley's published quarterly figure
#: (3.16% in Q1 2018/19, Fingertips); the pandemic year 2020/21 fell to a fraction.
HEALTH_CHECKS = {2013: 0.09, 2014: 0.10, 2015: 0.11, 2016: 0.115, 2017: 0.12, 2018: 0.125, 2019: 4 * 0.0316,
                 2020: 0.115, 2021: 0.025, 2022: 0.07}
HEALTH_CHECK_ELIGIBLE = 0.85  # share of registered 40-74 eligible (the rest have a qualifying condition)
HEALTH_CHECK_PRACTICE_SD = 0.35
FLU_65 = {2013: 0.735, 2014: 0.73, 2015: 0.725, 2016: 0.71, 2017: 0.715, 2018: 0.725, 2019: 0.725,
          2020: 0.725, 2021: 0.805, 2022: 0.83}  # 65+ vaccinated against flu
FLU_GRADIENT = -0.5
SERVICE_PRACTICE_SD = 0.15
#: Dementia: estimated prevalence by age band from 65 (persons, typical CFAS II-like rates) and the
#: diagnosis rate (register / estimate) by year; 2021 is the pandemic dip.
DEMENTIA_PREVALENCE_65 = [0.017, 0.030, 0.060, 0.111, 0.183, 0.320]
DEMENTIA_DIAGNOSIS = {2013: 0.52, 2014: 0.57, 2015: 0.62, 2016: 0.655, 2017: 0.665, 2018: 0.67, 2019: 0.67,
                      2020: 0.665, 2021: 0.625, 2022: 0.635}
DEMENTIA_PRACTICE_SD = 0.25

#: Adults overweight or obese (survey), 2020/21: Dudley's published 66.80% (Fingertips).
EXCESS_WEIGHT_2021, EXCESS_WEIGHT_2013 = 66.80, 64.5
EXCESS_WEIGHT_2022_CHANGE = 0.3

#: Reablement (ASCOF 2B(1)): people aged 65+ discharged from hospital into reablement and at home
#: 91 days later, financial years (typical; Dudley's quarterly KPI PI 501 ran 90-98% in 2021-22).
REABLEMENT = {2013: (420, 0.84), 2014: (430, 0.85), 2015: (450, 0.845), 2016: (470, 0.86), 2017: (480, 0.865),
              2018: (500, 0.87), 2019: (510, 0.875), 2020: (520, 0.88), 2021: (400, 0.90), 2022: (470, 0.89)}


# ---------------------------------------------------------------------------------------------
# Life table (Chiang II, PHE conventions) used to calibrate mortality
# ---------------------------------------------------------------------------------------------
def life_expectancy(deaths: np.ndarray, population: np.ndarray, start: int = 0) -> float:
    """Life expectancy at the start of band ``start``: Chiang II, a0 = 0.1, final L = l/M."""
    m = deaths / population
    n, a = AGE_WIDTH[:-1], np.where(AGE_START[:-1] == 0, 0.1, 0.5)
    q = np.append(n * m[:-1] / (1 + n * (1 - a) * m[:-1]), 1.0)
    l = np.concatenate([[1.0], np.cumprod(1 - q)[:-1]])
    d = l * q
    big_l = np.append(n * (l[:-1] - d[:-1]) + a * n * d[:-1], l[-1] / m[-1])
    t = np.cumsum(big_l[::-1])[::-1]
    return float(t[start] / l[start])


def slope_index(values: np.ndarray, population: np.ndarray) -> float:
    """Slope index of inequality: weighted regression on cumulative population midpoints.

    ``values`` are ordered most deprived first; the result is least minus most deprived.
    """
    share = population / population.sum()
    rank = np.cumsum(share) - share / 2
    mean_rank = np.sum(share * rank)
    mean_value = np.sum(share * values)
    return float(np.sum(share * (rank - mean_rank) * (values - mean_value)) / np.sum(share * (rank - mean_rank) ** 2))


# ---------------------------------------------------------------------------------------------
# The borough: its real geography, deprivation, population and practices, from a geography kit
# ---------------------------------------------------------------------------------------------
@dataclass
class SmallAreas:
    """Internal description of the small areas (index order = code order)."""

    code: np.ndarray
    ward: np.ndarray  # index into the kit's wards
    locality: np.ndarray  # index into the kit's localities (-1 without)
    xy: np.ndarray  # coordinates, km: the boundary's centroid, or an invented layout without boundaries
    rank: np.ndarray  # deprivation rank in (0, 1) by IMD score, 1 = most deprived


def streams(seed: int) -> dict[str, np.random.Generator]:
    """One independent random stream per table family."""
    # New families go at the end: spawning more children leaves the earlier ones unchanged.
    names = ("geography", "deprivation", "population", "births", "mortality", "admissions", "child_weight",
             "practices", "registers", "practice_admissions", "survey",
             "maternity", "causes", "seasons", "child_health", "practice_services", "dementia", "survey_weight",
             "reablement", "uti")
    children = np.random.SeedSequence(seed).spawn(len(names))
    return {name: np.random.default_rng(child) for name, child in zip(names, children)}


def make_geography(rng: np.random.Generator, kit: Kit) -> tuple[pd.DataFrame, SmallAreas]:
    """Country, region, authority, localities, wards and small areas, as the kit has them
    (practices are added by :func:`make_practices`)."""
    types = type_ids(kit)
    authority = kit.authority.code
    rows = [(kit.country.code, kit.country.name, "country", ""), (kit.region.code, kit.region.name, "region", kit.country.code),
            (authority, kit.authority.name, types["authority"], kit.region.code)]  # fmt: skip
    rows += [(row.code, row.name, types["locality"], authority) for row in kit.localities.itertuples()]
    rows += [(row.code, row.name, "ward", row.locality_code or authority) for row in kit.wards.itertuples()]
    rows += [(row.code, row.name, "small_area", row.ward_code) for row in kit.small_areas.itertuples()]
    ward = kit.small_areas["ward_code"].map({code: i for i, code in enumerate(kit.wards["code"])}).to_numpy()
    localities = {code: i for i, code in enumerate(kit.localities["code"])}
    locality = kit.wards["locality_code"].map(lambda c: localities.get(c, -1)).to_numpy()[ward]
    score = kit.deprivation.set_index("code")["imd_score"].reindex(kit.small_areas["code"]).to_numpy()
    rank = (np.argsort(np.argsort(score, kind="stable"), kind="stable") + 0.5) / len(score)
    xy = centroids(kit) if "small_areas" in kit.boundaries else invented_layout(rng, ward)
    areas = SmallAreas(kit.small_areas["code"].to_numpy(), ward, locality, xy, rank)
    return pd.DataFrame(rows, columns=["area_code", "area_name", "area_type", "parent_code"]), areas


def centroids(kit: Kit) -> np.ndarray:
    """Each small area's centroid (the area-weighted mean of its polygons), in km from the first."""
    path, code = kit.boundaries["small_areas"]
    found = {}
    for feature in json.loads(path.read_text(encoding="utf-8"))["features"]:
        geometry = feature["geometry"]
        polygons = geometry["coordinates"] if geometry["type"] == "MultiPolygon" else [geometry["coordinates"]]
        weights, points = [], []
        for polygon in polygons:
            ring = np.asarray(polygon[0], dtype=float)
            x, y = ring[:, 0], ring[:, 1]
            cross = x[:-1] * y[1:] - x[1:] * y[:-1]
            area = cross.sum() / 2
            weights.append(abs(area))
            points.append([np.sum((x[:-1] + x[1:]) * cross) / (6 * area), np.sum((y[:-1] + y[1:]) * cross) / (6 * area)])
        found[str(feature["properties"][code])] = np.average(points, axis=0, weights=weights)
    lonlat = np.array([found[c] for c in kit.small_areas["code"]])
    origin = lonlat.mean(axis=0)
    return (lonlat - origin) * np.array([111.32 * np.cos(np.radians(origin[1])), 110.57])


def invented_layout(rng: np.random.Generator, ward: np.ndarray) -> np.ndarray:
    """Without boundaries: wards on a grid 2 km apart, their small areas scattered around them."""
    n_wards = ward.max() + 1
    side = int(np.ceil(np.sqrt(n_wards)))
    grid = 2.0 * np.stack([np.arange(n_wards) % side, np.arange(n_wards) // side], axis=1).astype(float)
    return grid[ward] + rng.normal(0, 0.6, size=(len(ward), 2))


def make_deprivation(kit: Kit) -> pd.DataFrame:
    """The kit's real IMD score and national decile of each small area."""
    return kit.deprivation.rename(columns={"code": "area_code"})[["area_code", "imd_score", "imd_decile"]]


def make_population(rng: np.random.Generator, kit: Kit, areas: SmallAreas) -> np.ndarray:
    """Residents by small area, year, sex and age band (array [area, year, sex, age]).

    The kit's years are its published figures. Where the kit counts persons, each band is split
    by sex with MALE_SHARE; a year between two published years is interpolated (log-linearly,
    each area, sex and band), and a year outside them projected from the nearest with each
    band's growth (AGE_GROWTH) and a small area trend. Modelled figures are rounded to people.
    """
    published = kit.population
    years = sorted(published["year"].unique())
    sexes = ("Male", "Female")
    table = published.pivot_table(index=["code", "year"], columns=["sex", "age_band"], values="population", aggfunc="sum")
    known = np.empty((len(areas.code), len(years), 2, len(AGE_BANDS)))
    for y, year in enumerate(years):
        rows = table.xs(year, level="year").reindex(areas.code)
        if "Persons" in rows.columns.get_level_values("sex"):
            persons = rows["Persons"][list(AGE_BANDS)].to_numpy()
            known[:, y, 0] = np.rint(persons * MALE_SHARE)
            known[:, y, 1] = persons - known[:, y, 0]
        else:
            for s, sex in enumerate(sexes):
                known[:, y, s] = rows[sex][list(AGE_BANDS)].to_numpy()
    known = np.rint(known)
    n = len(areas.code)
    area_trend = np.clip(rng.normal(0.0, 0.004, n), -0.009, 0.009)
    population = np.empty((n, len(YEARS), 2, len(AGE_BANDS)))
    for t, year in enumerate(YEARS):
        if year in years:
            population[:, t] = known[:, years.index(year)]
            continue
        before = [y for y in years if y < year]
        after = [y for y in years if y > year]
        if before and after:
            a, b = years.index(before[-1]), years.index(after[0])
            w = (year - before[-1]) / (after[0] - before[-1])
            population[:, t] = np.exp((1 - w) * np.log(known[:, a] + 0.5) + w * np.log(known[:, b] + 0.5)) - 0.5
        else:
            nearest = years.index(before[-1] if before else after[0])
            gap = year - years[nearest]
            growth = np.exp(gap * (AGE_GROWTH[None, None, :] + area_trend[:, None, None]))
            population[:, t] = known[:, nearest] * growth * rng.lognormal(0, 0.01, size=(n, 2, len(AGE_BANDS)))
    return np.maximum(np.rint(population), 0).astype(np.int64)


def population_scale(population: np.ndarray) -> float:
    """The kit's 2021 population relative to Dudley's (Census 2021): absolute targets (children
    in low income, emergency cancer admissions, reablement) scale with it."""
    return float(population[:, _year_index(2021)].sum()) / POPULATION_2021_TARGET


def make_births(rng: np.random.Generator, population: np.ndarray, areas: SmallAreas) -> tuple[pd.DataFrame, np.ndarray]:
    """Live births and their outcomes by small area and year; returns the table and the births array."""
    n, y = population.shape[:2]
    rank = areas.rank[:, None]
    live = rng.poisson(population[:, :, :, 0].sum(axis=2) * LIVE_BIRTHS_PER_INFANT)
    preterm = PRETERM_BY_RANK[0] + (PRETERM_BY_RANK[1] - PRETERM_BY_RANK[0]) * rank
    term = rng.binomial(live, np.broadcast_to(1 - preterm, (n, y)))
    lbw_odds = _centred_logit(TERM_LBW_TARGET, LBW_GRADIENT, areas.rank)
    term_lbw = rng.binomial(term, np.broadcast_to(expit(lbw_odds)[:, None], (n, y)))
    maternities = live - rng.binomial(live, TWIN_EXCESS) + rng.poisson(STILLBIRTH * live)
    smoking_odds = _centred_logit(SMOKING_AT_DELIVERY_TARGET, SMOKING_DELIVERY_GRADIENT, areas.rank)
    smoking_odds = smoking_odds[:, None] - SMOKING_DELIVERY_YEAR * (YEARS[None, :] - 2020)
    smoking = rng.binomial(maternities, expit(smoking_odds))
    columns = {"live_births": live, "term_live_births": term, "term_low_birth_weight": term_lbw,
               "maternities": maternities, "smoking_at_delivery": smoking}
    return tidy(areas.code, [], columns), live


def _centred_logit(mean: float, gradient: float, rank: np.ndarray) -> np.ndarray:
    """Log-odds graded by deprivation rank whose average probability over ``rank`` is ``mean``."""
    intercept = brentq(lambda a: expit(a + gradient * (rank - 0.5)).mean() - mean, -20, 20)
    return intercept + gradient * (rank - 0.5)


# ---------------------------------------------------------------------------------------------
# Mortality
# ---------------------------------------------------------------------------------------------
def _year_index(year: int) -> int:
    return int(year - YEARS[0])


def _local_deciles(areas: SmallAreas) -> np.ndarray:
    """Local deprivation decile of each small area, 1 = most deprived tenth of the borough's areas."""
    order = np.argsort(-areas.rank)
    decile = np.empty(len(order), dtype=int)
    decile[order] = np.arange(len(order)) * 10 // len(order) + 1
    return decile


def infant_rate(births, areas) -> float:
    """Girls' infant mortality rate (per live birth) that makes the 2018-20 borough rate the target."""
    pooled = slice(_year_index(2018), _year_index(2020) + 1)
    relative = sum(share * INFANT_SEX_RATIO[sex] for sex, share in BIRTH_SEX_SHARE.items())
    gradient = np.exp(INFANT_GRADIENT * (areas.rank - 0.5))
    weighted = np.sum(births[:, pooled] * gradient[:, None]) * relative
    return INFANT_MORTALITY_TARGET / 1000 * births[:, pooled].sum() / weighted


def expected_deaths(params, s, population, births, infant, areas, area_effect) -> np.ndarray:
    """Expected deaths [area, year, age] for sex ``s``.

    ``params`` = (scale under 65, scale 65+, deprivation gradient under 65, gradient 65+); band 0
    is infant deaths: live births x infant rate, with its own deprivation gradient.
    """
    sex = SEXES[s]
    scale_young, scale_old, grad_young, grad_old = params
    old = AGE_START >= 65
    gradient = np.where(old, grad_old, grad_young) * GRADIENT_SHAPE
    multiplier = np.exp(np.outer(areas.rank - 0.5, gradient)) * area_effect[:, None]  # [area, age]
    year = np.array([MORTALITY_YEAR[int(v)] for v in YEARS])
    rates = MORTALITY_BASE[sex] * np.where(old, scale_old, scale_young)
    expected = population[:, :, s, :] * rates[None, None, :] * multiplier[:, None, :] * year[None, :, None]
    expected[:, :, 0] = births * BIRTH_SEX_SHARE[sex] * infant * INFANT_SEX_RATIO[sex] * np.exp(INFANT_GRADIENT * (areas.rank - 0.5))[:, None]
    return expected


def calibrate_mortality(population, births, infant, areas, area_effect) -> dict[str, np.ndarray]:
    """Solve, for each sex, the mortality levels and deprivation gradients that hit the targets.

    Four unknowns, four targets (expected values): LE at birth and at 65 in 2020, and the slope
    index of inequality in LE at birth and at 65 across the borough's local deprivation deciles,
    2018-20 pooled.
    """
    decile = _local_deciles(areas)
    y2020 = _year_index(2020)
    pooled = slice(_year_index(2018), _year_index(2020) + 1)
    band_65 = int(np.flatnonzero(AGE_START == 65)[0])
    solved = {}
    for s, sex in enumerate(SEXES):
        pop = population[:, :, s, :]
        decile_pop = [pop[decile == d][:, pooled].sum(axis=(0, 1)) for d in range(1, 11)]
        decile_weight = np.array([p.sum() for p in decile_pop])
        targets = np.array([LE_BIRTH_2020_TARGET[sex], LE_65_2020_TARGET[sex], SII_LE_BIRTH_TARGET[sex], SII_LE_65_TARGET[sex]])

        def achieved(x, s=s, pop=pop, decile_pop=decile_pop, decile_weight=decile_weight):
            params = (np.exp(x[0]), np.exp(x[1]), x[2], x[3])
            expected = expected_deaths(params, s, population, births, infant, areas, area_effect)
            deaths_2020, pop_2020 = expected[:, y2020].sum(axis=0), pop[:, y2020].sum(axis=0)
            decile_deaths = [expected[decile == d][:, pooled].sum(axis=(0, 1)) for d in range(1, 11)]
            out = [life_expectancy(deaths_2020, pop_2020, k) for k in (0, band_65)]
            for k in (0, band_65):
                values = np.array([life_expectancy(dd, pp, k) for dd, pp in zip(decile_deaths, decile_pop)])
                out.append(slope_index(values, decile_weight))
            return np.array(out)

        x = fsolve(lambda x: achieved(x) - targets, np.array([0.0, 0.0, 0.8, 0.5]), xtol=1e-10)
        if not np.allclose(achieved(x), targets, atol=1e-4):
            raise RuntimeError(f"mortality calibration failed for {sex}: {achieved(x)} vs {targets}")
        solved[sex] = np.array([np.exp(x[0]), np.exp(x[1]), x[2], x[3]])
    return solved


def make_mortality(rng, population, births, areas) -> tuple[np.ndarray, np.ndarray]:
    """Deaths by small area, year, sex, age band, cause (CAUSES) and preventable flag.

    Returns (deaths, expected), both shaped [area, year, sex, age, cause, preventable]; the
    table is written after :func:`refine_causes` has carved suicide and drug misuse out.
    """
    area_effect = rng.lognormal(0, AREA_MORTALITY_SD, len(areas.code))
    area_effect /= area_effect.mean()
    infant = infant_rate(births, areas)
    params = calibrate_mortality(population, births, infant, areas, area_effect)
    expected = np.stack(
        [expected_deaths(params[sex], s, population, births, infant, areas, area_effect) for s, sex in enumerate(SEXES)],
        axis=2,
    )  # [area, year, sex, age]

    # Cause shares by age, tilted by deprivation, then split under-75 deaths into preventable or not.
    group = np.searchsorted(CAUSE_AGE_STARTS, AGE_START, side="right") - 1
    shares = CAUSE_SHARES[group][None] * np.exp(np.outer(areas.rank - 0.5, CAUSE_GRADIENT))[:, None, :]  # [area, age, cause]
    shares /= shares.sum(axis=2, keepdims=True)
    by_cause = expected[..., None] * shares[:, None, None, :, :]  # [area, year, sex, age, cause]

    under_75 = AGE_START < 75
    preventable = np.where(np.isnan(PREVENTABLE_SHARE), 0.0, PREVENTABLE_SHARE)
    esp = ESP2013[under_75] / ESP2013[under_75].sum()
    y2020 = _year_index(2020)
    cancer = by_cause[:, y2020, :, :, CAUSES.index("cancer")].sum(axis=(0, 1))[under_75]
    pop = population[:, y2020].sum(axis=(0, 1))[under_75]
    preventable[CAUSES.index("cancer")] = U75_PREVENTABLE_CANCER_DSR_TARGET / 1e5 / np.sum(esp * cancer / pop)
    if not 0 < preventable[CAUSES.index("cancer")] < 1:
        raise RuntimeError(f"preventable share of under-75 cancer deaths is {preventable[1]:.2f}: cause shares too low")
    prevent = np.where(under_75[:, None], preventable[None, :], 0.0)  # [age, cause]
    split = np.stack([by_cause * (1 - prevent), by_cause * prevent], axis=-1)
    deaths = within_population(rng.poisson(split), population)
    return deaths, split


def within_population(deaths: np.ndarray, population: np.ndarray) -> np.ndarray:
    """Deaths [area, year, sex, age, ...] with no cell's total above its population (the input
    rule: events cannot exceed the population at risk): where a Poisson draw did, deaths are
    taken one at a time from the largest cause until it does not. Deterministic."""
    deaths = deaths.copy()
    totals = deaths.reshape(population.shape + (-1,)).sum(axis=-1)
    for cell in zip(*np.nonzero(totals > population)):
        flat = deaths[cell].reshape(-1)
        while flat.sum() > population[cell]:
            flat[np.argmax(flat)] -= 1
        deaths[cell] = flat.reshape(deaths[cell].shape)
    return deaths


def tidy(codes, dims, columns: dict[str, np.ndarray], nonzero: str | None = None, years: np.ndarray = YEARS) -> pd.DataFrame:
    """Arrays shaped [area, year, *dims] as one tidy table, rows in array order (so sorted).

    ``dims`` is a list of (column name, labels); with ``nonzero``, only the cells where that
    column is positive are kept (events tables store non-zero rows only). ``years`` labels the
    year axis (all of YEARS unless a table covers fewer).
    """
    shape = next(iter(columns.values())).shape
    keep = columns[nonzero].ravel() > 0 if nonzero else np.ones(int(np.prod(shape)), dtype=bool)
    index = [i[keep] for i in np.indices(shape).reshape(len(shape), -1)]
    table = {"area_code": np.asarray(codes)[index[0]], "year": np.asarray(years)[index[1]]}
    for (column, labels), positions in zip(dims, index[2:]):
        table[column] = np.asarray(labels)[positions]
    for column, values in columns.items():
        table[column] = values.ravel()[keep]
    return pd.DataFrame(table)


BY_SEX_AGE = [("sex", SEXES), ("age_band", AGE_BANDS)]


# ---------------------------------------------------------------------------------------------
# Admissions and child weight
# ---------------------------------------------------------------------------------------------
def _rate_of(counts: np.ndarray, population: np.ndarray, basis: str) -> float:
    """Borough rate per 100,000 from counts and population by [sex, age]."""
    if basis == "crude0_14":
        ages = AGE_START < 15
        return 1e5 * counts[:, ages].sum() / population[:, ages].sum()
    ages = AGE_START >= 65 if basis == "dsr65" else np.ones(20, dtype=bool)
    weights = ESP2013[ages] / ESP2013[ages].sum()
    return 1e5 * np.sum(weights * counts[:, ages].sum(axis=0) / population[:, ages].sum(axis=0))


def make_admissions(rng, population, areas, conditions: tuple[str, ...] = CONDITIONS) -> pd.DataFrame:
    """Emergency admissions by small area, year, sex, age band and condition (non-zero rows)."""
    expected = np.zeros(population.shape + (len(conditions),))
    years = YEARS - 2020
    for c, condition in enumerate(conditions):
        trend = np.exp(ADMISSION_TREND * np.minimum(years, 0))
        trend = np.where(YEARS == 2021, ADMISSION_PANDEMIC[condition], np.where(YEARS == 2022, ADMISSION_2022, trend))
        sex = np.array([ADMISSION_MALE_RATIO[condition], 1.0])
        gradient = np.exp(ADMISSION_GRADIENT[condition] * (areas.rank - 0.5))
        rate = np.outer(sex, ADMISSION_AGE[condition])  # [sex, age]
        cell = population * rate[None, None] * gradient[:, None, None, None] * trend[None, :, None, None]
        target, year, basis = ADMISSION_TARGETS[condition]
        t = _year_index(year)
        cell *= target / _rate_of(cell[:, t].sum(axis=0), population[:, t].sum(axis=0), basis)
        expected[..., c] = cell
    admissions = rng.poisson(expected)
    return tidy(areas.code, BY_SEX_AGE + [("condition", conditions)], {"admissions": admissions}, "admissions")


def make_child_weight(rng, population, areas) -> pd.DataFrame:
    """Reception and Year 6 children measured, with excess weight and obese, by small area and year."""
    n, y = population.shape[:2]
    counts = {name: np.zeros((n, y, len(SCHOOL_YEARS)), dtype=np.int64) for name in ("measured", "excess_weight", "obese")}
    targets = {"Reception": (RECEPTION_EXCESS_WEIGHT_TARGET, RECEPTION_OBESE_TARGET, "5-9"),
               "Year 6": (YEAR6_EXCESS_WEIGHT_TARGET, YEAR6_OBESE_TARGET, "10-14")}
    pooled = (YEARS >= 2018) & (YEARS <= 2020)
    for k, school_year in enumerate(SCHOOL_YEARS):
        excess_target, obese_target, band = targets[school_year]
        cohort = np.rint(population[:, :, :, AGE_BANDS.index(band)].sum(axis=2) / 5).astype(np.int64)
        measured = rng.binomial(cohort, MEASURED_SHARE)
        shift = CHILD_WEIGHT_TREND[school_year] * (YEARS - 2019) + np.where(YEARS == 2021, CHILD_WEIGHT_2021[school_year], 0)
        shift = np.where(YEARS == 2022, CHILD_WEIGHT_2021[school_year] / 2 + CHILD_WEIGHT_TREND[school_year] * 3, shift)
        grade = CHILD_WEIGHT_GRADIENT[school_year] * (areas.rank - 0.5)
        weights = measured[:, pooled]

        def pooled_share(a, grade=grade, shift=shift):
            p = expit(a + grade[:, None] + shift[None, :])
            return np.sum(p[:, pooled] * weights) / weights.sum()

        a_excess = brentq(lambda a: pooled_share(a) - excess_target / 100, -10, 10)
        p_excess = expit(a_excess + grade[:, None] + shift[None, :])
        obese_grade = OBESE_GRADIENT * (areas.rank - 0.5)
        a_obese = brentq(
            lambda a: np.sum((p_excess * expit(a + obese_grade[:, None]))[:, pooled] * weights) / weights.sum()
            - obese_target / 100,
            -10, 10,
        )
        excess = rng.binomial(measured, p_excess)
        obese = rng.binomial(excess, np.broadcast_to(expit(a_obese + obese_grade[:, None]), (n, y)))
        counts["measured"][..., k], counts["excess_weight"][..., k], counts["obese"][..., k] = measured, excess, obese
    return tidy(areas.code, [("school_year", SCHOOL_YEARS)], counts)


# ---------------------------------------------------------------------------------------------
# GP practices
# ---------------------------------------------------------------------------------------------
@dataclass
class Practices:
    code: np.ndarray
    pcn: np.ndarray  # index into the networks
    shares: np.ndarray  # [area, practice, age]: share of an area's residents of that age registered there
    registered: np.ndarray  # [practice, year, sex, age]
    rank: np.ndarray  # registration-weighted deprivation rank of each practice's patients


#: Words a network's name shares with wards and localities that say nothing about where it is.
PLACE_STOP_WORDS = {"pcn", "and", "the", "of", "primary", "care", "network", "north", "south", "east", "west", "central", "health"}


def network_homes(kit: Kit, areas: SmallAreas) -> list[np.ndarray]:
    """For each network, the small areas it most likely serves: those of the wards and
    localities its name shares a word with ("Halesowen PCN": Halesowen's wards); all the small
    areas where it shares none. Real practices' locations are not in the kit; this only keeps
    a network's modelled catchment together and near the places it is named after."""
    words = lambda name: set(re.findall(r"[a-z]+", name.lower())) - PLACE_STOP_WORDS  # noqa: E731
    ward_names = kit.wards["name"].map(words).to_numpy()
    locality_names = kit.localities.set_index("code")["name"].map(words)
    ward_locality = kit.wards["locality_code"].map(lambda c: locality_names.get(c, set()) if c else set()).to_numpy()
    homes = []
    for name in kit.networks["name"]:
        wanted = words(name)
        matched = np.array([bool(wanted & ward_names[w]) or bool(wanted & ward_locality[w]) for w in range(len(ward_names))])
        home = np.flatnonzero(matched[areas.ward])
        homes.append(home if len(home) else np.arange(len(areas.code)))
    return homes


def make_practices(rng, population, areas, kit: Kit) -> tuple[pd.DataFrame, Practices]:
    """The kit's practices in their real networks, with their real list sizes in the kit's year.

    Where their patients live is modelled: each practice sits in a small area of its network's
    home (:func:`network_homes`), drawn by population, and draws patients from nearby small areas
    across ward lines (distance decay); its list in the kit's year is its real list size, and
    other years follow its catchment's population.
    """
    k = len(kit.practices)
    network_of = {code: i for i, code in enumerate(kit.networks["code"])}
    pcn = kit.practices["network_code"].map(network_of).to_numpy()
    weight = population[:, _year_index(2021)].sum(axis=(1, 2)).astype(float)
    homes = network_homes(kit, areas)
    host = np.array([rng.choice(homes[p], p=weight[homes[p]] / weight[homes[p]].sum()) for p in pcn])
    xy = areas.xy[host] + rng.normal(0, 0.2, size=(k, 2))
    size = kit.practices["list_size"].to_numpy(dtype=float)
    tilt = rng.normal(0, PRACTICE_AGE_TILT_SD, k)

    distance = np.linalg.norm(areas.xy[:, None, :] - xy[None, :, :], axis=2)  # [area, practice]
    age_score = (AGE_MID - 40) / 25
    attraction = size[None, :, None] * np.exp(-distance / CATCHMENT_KM)[:, :, None] * np.exp(np.outer(tilt, age_score))[None]
    shares = attraction / attraction.sum(axis=1, keepdims=True)
    shares = np.where(shares < MIN_REGISTRATION_SHARE, 0.0, shares)
    shares /= shares.sum(axis=1, keepdims=True)

    expected = np.einsum("aysg,apg->pysg", population.astype(float), shares) * LIST_INFLATION_AGE
    listed = expected[:, _year_index(kit.list_year)].sum(axis=(1, 2))
    expected *= (size / listed)[:, None, None, None]  # each practice's real list size in the kit's year
    registered = np.rint(expected * rng.lognormal(0, 0.01, expected.shape)).astype(np.int64)
    patients = np.einsum("asg,apg->ap", population[:, _year_index(2021)].astype(float), shares)
    rank = (patients * areas.rank[:, None]).sum(axis=0) / patients.sum(axis=0)

    authority = kit.authority.code
    rows = [(row.code, row.name, "pcn", authority) for row in kit.networks.itertuples()]
    rows += [(row.code, row.name, "practice", row.network_code) for row in kit.practices.itertuples()]
    geography = pd.DataFrame(rows, columns=["area_code", "area_name", "area_type", "parent_code"])
    return geography, Practices(kit.practices["code"].to_numpy(), pcn, shares, registered, rank)


def make_registers(rng, practices: Practices) -> dict[str, np.ndarray]:
    """QOF-style registers by practice, year and condition, graded by age mix and deprivation.

    Returns ``register`` and ``list_size`` arrays [practice, year, condition]; the dementia slot
    is filled by :func:`make_dementia`.
    """
    persons = practices.registered.sum(axis=2).astype(float)  # [practice, year, age]
    t2021 = _year_index(2021)
    shape = persons.shape[:2] + (len(REGISTERS),)
    counts = {"register": np.zeros(shape, dtype=np.int64), "list_size": np.zeros(shape, dtype=np.int64)}
    for c, condition in enumerate(REGISTERS):
        if condition not in REGISTER_TARGETS_2021:
            continue  # dementia: see make_dementia (estimated prevalence, its own stream)
        covers = REGISTER_COVERS[condition]
        list_size = np.rint((persons * covers).sum(axis=2)).astype(np.int64)  # [practice, year]
        expected_cases = (persons * covers * np.array(REGISTER_AGE[condition], dtype=float)).sum(axis=2)
        relative = expected_cases / list_size
        practice_effect = rng.normal(0, REGISTER_PRACTICE_SD[condition], len(practices.code))
        effect = np.exp(REGISTER_GRADIENT[condition] * (practices.rank - 0.5) + practice_effect)
        prevalence = relative * effect[:, None] * np.array(REGISTER_TREND[condition])[None, :]
        achieved_2021 = np.sum(prevalence[:, t2021] * list_size[:, t2021]) / list_size[:, t2021].sum()
        prevalence *= REGISTER_TARGETS_2021[condition] / 100 / achieved_2021
        counts["register"][..., c] = rng.binomial(list_size, np.clip(prevalence, 0, 1))
        counts["list_size"][..., c] = list_size
    return counts


def make_practice_admissions(rng, practices: Practices, scale: float) -> pd.DataFrame:
    """Emergency admissions with cancer by registered practice and year (non-zero rows)."""
    persons = practices.registered.sum(axis=2).astype(float)
    effect = np.exp(EMERGENCY_CANCER_GRADIENT * (practices.rank - 0.5)
                    + rng.normal(0, EMERGENCY_CANCER_PRACTICE_SD, len(practices.code)))
    expected = (persons * np.array(EMERGENCY_CANCER_AGE, dtype=float)).sum(axis=2) * effect[:, None]
    expected *= EMERGENCY_CANCER_2021_TARGET * scale / expected[:, _year_index(2021)].sum()
    admissions = rng.poisson(expected)[..., None]
    return tidy(practices.code, [("condition", ("emergency_cancer",))], {"admissions": admissions}, "admissions")


# ---------------------------------------------------------------------------------------------
# Survey
# ---------------------------------------------------------------------------------------------
def wilson_limits(p: float, n: int, z: float = 1.959964) -> tuple[float, float]:
    """Wilson score 95% interval of a proportion ``p`` from ``n`` respondents."""
    centre = p + z**2 / (2 * n)
    half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2))
    return (centre - half) / (1 + z**2 / n), (centre + half) / (1 + z**2 / n)


def make_survey(rng, authority: str) -> pd.DataFrame:
    """Borough survey estimates: adult smoking and physical inactivity, with Wilson 95% limits.

    The 2021 (2020/21) values are the published Dudley estimates; the other years jitter around a
    straight-line trend from 2013 to 2021 (then a small fall to 2022).
    """
    rows = []
    for year in YEARS:
        for measure in ("smoking", "inactivity"):
            respondents = int(rng.integers(SURVEY_RESPONDENTS[0], SURVEY_RESPONDENTS[1] + 1))
            if year == 2021:
                value = SURVEY_2021[measure]
            else:
                if year < 2021:
                    truth = SURVEY_2013[measure] + (SURVEY_2021[measure] - SURVEY_2013[measure]) * (year - 2013) / 8
                else:
                    truth = SURVEY_2021[measure] + SURVEY_2022_CHANGE[measure]
                value = truth + rng.normal(0, SURVEY_JITTER)
            lower, upper = wilson_limits(value / 100, respondents)
            rows.append((authority, int(year), measure, respondents, round(value, 2), round(100 * lower, 2), round(100 * upper, 2)))
    return pd.DataFrame(rows, columns=["area_code", "year", "measure", "respondents", "value", "lower_95_0", "upper_95_0"])


# ---------------------------------------------------------------------------------------------
# The full indicator set (issue 4)
# ---------------------------------------------------------------------------------------------
def _calibrated_binomial(rng, n: np.ndarray, grade: np.ndarray, targets: dict[int, float], sd: float = 0.0) -> np.ndarray:
    """Binomial draws from ``n`` [unit, year] whose expected borough share in each year is
    ``targets[year]``: log-odds = intercept(year) + ``grade`` [unit] + a random unit effect."""
    effect = grade + (rng.normal(0, sd, len(grade)) if sd else 0.0)
    p = np.empty(n.shape)
    for t, year in enumerate(YEARS):
        weights = n[:, t].astype(float)
        a = brentq(lambda a: np.sum(weights * expit(a + effect)) / weights.sum() - targets[int(year)], -20, 20)
        p[:, t] = expit(a + effect)
    return rng.binomial(n, p)


def make_maternity(rng, births: pd.DataFrame, areas: SmallAreas) -> pd.DataFrame:
    """The births table with ``smoking_early_pregnancy`` and ``early_booking`` added.

    Maternity measures count by financial year of delivery (year 2019 = 2018/19). Women smoking
    at booking are the smokers at delivery plus some who stopped during pregnancy, so
    smoking_at_delivery <= smoking_early_pregnancy <= maternities on every row.
    """
    n = len(areas.code)
    maternities = births["maternities"].to_numpy().reshape(n, len(YEARS))
    at_delivery = births["smoking_at_delivery"].to_numpy().reshape(n, len(YEARS))
    t = _year_index(2019)
    grade = SMOKING_EARLY_GRADIENT * (areas.rank - 0.5)
    others = maternities - at_delivery
    share = lambda a: (at_delivery[:, t].sum() + np.sum(others[:, t] * expit(a + grade))) / maternities[:, t].sum()  # noqa: E731
    a = brentq(lambda a: share(a) - SMOKING_EARLY_PREGNANCY_2019_TARGET, -20, 20)
    p_stopped = expit(a + grade[:, None] - SMOKING_DELIVERY_YEAR * (YEARS[None, :] - 2019))
    early_smokers = at_delivery + rng.binomial(others, p_stopped)
    booking = EARLY_BOOKING_GRADIENT * (areas.rank - 0.5)
    a = brentq(lambda a: np.sum(maternities[:, t] * expit(a + booking)) / maternities[:, t].sum() - EARLY_BOOKING_2019_TARGET,
               -20, 20)
    early_booking = rng.binomial(maternities, expit(a + booking[:, None] + EARLY_BOOKING_YEAR * (YEARS[None, :] - 2019)))
    return births.assign(smoking_early_pregnancy=early_smokers.ravel(), early_booking=early_booking.ravel())


def _pooled_dsr(counts: np.ndarray, population: np.ndarray, years: list[int], min_age: int = 0) -> float:
    """Borough DSR per 100,000 (ESP2013, persons) of counts [area, year, sex, age], pooled years."""
    t = [_year_index(y) for y in years]
    ages = AGE_START >= min_age
    rate = counts[:, t].sum(axis=(0, 1, 2))[ages] / population[:, t].sum(axis=(0, 1, 2))[ages]
    return float(1e5 * np.sum(ESP2013[ages] * rate) / ESP2013[ages].sum())


def refine_causes(rng, deaths: np.ndarray, expected: np.ndarray, population: np.ndarray, areas: SmallAreas) -> np.ndarray:
    """Carve suicide and drug misuse deaths out of the broad causes; re-flag preventable CVD.

    ``deaths`` (drawn) and ``expected`` are [area, year, sex, age, cause (CAUSES), preventable]. Suicides
    are drawn binomially from each cell's external deaths, drug misuse deaths from what external
    deaths remain plus mental and behavioural deaths, keeping the preventable flag of the cell
    they came from, so every cell's total (and so life expectancy) is exactly as before. The
    share carved from a cell follows an age, sex and deprivation profile scaled so that the
    expected borough DSRs, given the broad-cause deaths drawn, are the published Dudley values (suicide
    2019-21, drug misuse 2018-20);
    no more than CARVE_CAP of a cell's source deaths is taken. Finally, under-75 circulatory
    deaths flagged preventable are re-flagged down to CIRCULATORY_PREVENTABLE_SHARE.

    Returns deaths [area, year, sex, age, cause (DEATH_CAUSES), preventable].
    """
    ext, mental, circulatory = CAUSES.index("external"), CAUSES.index("mental_behavioural"), CAUSES.index("circulatory")
    pop = population.astype(float)

    def profile(shape, female_ratio, gradient):
        by_sex = np.outer([1.0, female_ratio], shape) / 1e5  # [sex, age]
        return by_sex[None, None] * np.exp(gradient * (areas.rank - 0.5))[:, None, None, None]

    def share_for(target, source, scale):
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(source > 0, np.minimum(CARVE_CAP, scale * target * pop / source), 0.0)

    # The share of each cell follows from the expected deaths (a smooth profile); the scale is
    # solved on the deaths drawn, so that only the binomial carving adds noise to borough rates.
    external, external_drawn = expected[..., ext, :].sum(axis=-1), deaths[..., ext, :].sum(axis=-1)
    suicide_rate = profile(SUICIDE_AGE, SUICIDE_FEMALE_RATIO, SUICIDE_GRADIENT)
    k = brentq(lambda k: _pooled_dsr(share_for(suicide_rate, external, k) * external_drawn, pop, [2019, 2020, 2021], 10)
               - SUICIDE_DSR_TARGET, 1e-3, 50)
    p_suicide = share_for(suicide_rate, external, k)
    available = external * (1 - p_suicide) + expected[..., mental, :].sum(axis=-1)
    available_drawn = external_drawn * (1 - p_suicide) + deaths[..., mental, :].sum(axis=-1)
    drug_rate = profile(DRUG_MISUSE_AGE, DRUG_MISUSE_FEMALE_RATIO, DRUG_MISUSE_GRADIENT)
    k = brentq(lambda k: _pooled_dsr(share_for(drug_rate, available, k) * available_drawn, pop, [2018, 2019, 2020])
               - DRUG_MISUSE_DSR_TARGET, 1e-3, 50)
    p_drug = share_for(drug_rate, available, k)

    out = np.concatenate([deaths, np.zeros(deaths.shape[:4] + (2, 2), dtype=deaths.dtype)], axis=4)
    suicide = rng.binomial(out[..., ext, :], p_suicide[..., None])
    out[..., ext, :] -= suicide
    drug_external = rng.binomial(out[..., ext, :], p_drug[..., None])
    drug_mental = rng.binomial(out[..., mental, :], p_drug[..., None])
    out[..., ext, :] -= drug_external
    out[..., mental, :] -= drug_mental
    out[..., DEATH_CAUSES.index("suicide"), :] = suicide
    out[..., DEATH_CAUSES.index("drug_misuse"), :] = drug_external + drug_mental
    moved = rng.binomial(out[..., circulatory, 1], 1 - CIRCULATORY_PREVENTABLE_SHARE / PREVENTABLE_SHARE[circulatory])
    out[..., circulatory, 1] -= moved
    out[..., circulatory, 0] += moved
    return out


def make_deaths_by_season(rng, deaths: np.ndarray, areas: SmallAreas) -> pd.DataFrame:
    """Deaths by small area, winter year (August to July, labelled by the year it ends), sex and
    season: ``aug_nov``, ``dec_mar`` (winter) and ``apr_jul`` (non-zero rows).

    Each calendar year's deaths (all causes and ages, as in the deaths table) are split into
    January-March, April-July, August-November and December in proportion to the months' length
    times a winter excess (EWM_INDEX of the winter the months belong to); winter year Y is then
    Aug-Nov of Y-1, Dec of Y-1 with Jan-Mar of Y, and Apr-Jul of Y. Winter years start in 2014, the
    first with a preceding August in the data.
    """
    totals = deaths.sum(axis=(3, 4, 5))  # [area, year, sex]
    excess = np.array([1 + EWM_INDEX[int(y)] / 100 for y in YEARS])
    excess_next = np.array([1 + EWM_INDEX[int(y) + 1] / 100 for y in YEARS])
    weights = np.stack([3 * excess, 4 * np.ones(len(YEARS)), 4 * np.ones(len(YEARS)), excess_next], axis=1)
    weights /= weights.sum(axis=1, keepdims=True)  # [year, part]: Jan-Mar, Apr-Jul, Aug-Nov, Dec
    parts = rng.multinomial(totals, np.broadcast_to(weights[None, :, None, :], totals.shape + (4,)))
    by_season = np.stack(
        [parts[:, :-1, :, 2], parts[:, :-1, :, 3] + parts[:, 1:, :, 0], parts[:, 1:, :, 1]], axis=3
    )  # [area, winter year (YEARS[1:]), sex, season]
    return tidy(areas.code, [("sex", SEXES), ("season", SEASONS)], {"deaths": by_season}, "deaths", years=YEARS[1:])


def make_child_health(rng, population: np.ndarray, areas: SmallAreas) -> dict[str, pd.DataFrame]:
    """Small-area child tables: school readiness, MMR at 2, under-18 conceptions, low income."""
    persons = population.sum(axis=2)  # [area, year, age]
    band = AGE_BANDS.index
    rank = areas.rank - 0.5

    eligible = np.rint(persons[:, :, band("5-9")] / 5).astype(np.int64)  # end of Reception, aged 5
    good = _calibrated_binomial(rng, eligible, SCHOOL_READINESS_GRADIENT * rank, SCHOOL_READINESS, SERVICE_PRACTICE_SD)
    development = tidy(areas.code, [], {"eligible": eligible, "good_level_development": good})

    cohort = np.rint(persons[:, :, band("1-4")] / 4).astype(np.int64)  # reaching their second birthday
    vaccinated = _calibrated_binomial(rng, cohort, MMR_GRADIENT * rank, MMR1_AGE2, SERVICE_PRACTICE_SD)
    immunisations = tidy(areas.code, [("vaccine", ("mmr1_age2",))], {"eligible": cohort[..., None],
                                                                      "vaccinated": vaccinated[..., None]})

    females = np.rint(population[:, :, 1, band("15-19")] * 3 / 5).astype(np.int64)
    relative = np.exp(UNDER_18_CONCEPTIONS_TREND * (YEARS - 2020))[None, :] * np.exp(UNDER_18_CONCEPTIONS_GRADIENT * rank)[:, None]
    t = _year_index(2020)
    rate = relative * UNDER_18_CONCEPTIONS_2020_TARGET / 1000 * females[:, t].sum() / np.sum(relative[:, t] * females[:, t])
    conceived = np.minimum(rng.poisson(rate * females), females)
    conceptions = tidy(areas.code, [], {"females_15_17": females, "conceptions_under_18": conceived})

    children = np.rint(persons[:, :, AGE_START < 15].sum(axis=2) + persons[:, :, band("15-19")] / 5).astype(np.int64)
    t = _year_index(2021)
    share_2021 = LOW_INCOME_2021_CHILDREN * population_scale(population) / children[:, t].sum()
    targets = {year: share * share_2021 / LOW_INCOME_2021_TARGET for year, share in LOW_INCOME_BY_YEAR.items()}
    low_income = _calibrated_binomial(rng, children, LOW_INCOME_GRADIENT * rank, targets)
    low_income_children = tidy(areas.code, [], {"children_under_16": children, "in_low_income": low_income})
    return {"child_development": development, "immunisations": immunisations, "conceptions": conceptions,
            "low_income_children": low_income_children}


def make_practice_services(rng, practices: Practices) -> dict[str, pd.DataFrame]:
    """Cervical screening, NHS Health Checks and flu vaccination (65+) by practice and year."""
    registered = practices.registered  # [practice, year, sex, age]
    rank = practices.rank - 0.5
    women = registered[:, :, 1][..., (AGE_START >= 25) & (AGE_START < 65)].sum(axis=2)
    screened = _calibrated_binomial(rng, women, CERVICAL_GRADIENT * rank, CERVICAL_SCREENING, SERVICE_PRACTICE_SD)
    screening = tidy(practices.code, [("programme", ("cervical",))], {"eligible": women[..., None], "screened": screened[..., None]})

    aged_40_74 = registered[..., (AGE_START >= 40) & (AGE_START < 75)].sum(axis=(2, 3))
    eligible = np.rint(HEALTH_CHECK_ELIGIBLE * aged_40_74).astype(np.int64)
    received = _calibrated_binomial(rng, eligible, np.zeros(len(rank)), HEALTH_CHECKS, HEALTH_CHECK_PRACTICE_SD)
    health_checks = tidy(practices.code, [], {"eligible": eligible, "received": received})

    aged_65 = registered[..., AGE_START >= 65].sum(axis=(2, 3))
    vaccinated = _calibrated_binomial(rng, aged_65, FLU_GRADIENT * rank, FLU_65, SERVICE_PRACTICE_SD)
    flu = tidy(practices.code, [], {"eligible_65_plus": aged_65, "vaccinated": vaccinated})
    return {"screening": screening, "health_checks": health_checks, "flu_vaccination": flu}


def make_dementia(rng, practices: Practices, registers: dict[str, np.ndarray]) -> pd.DataFrame:
    """Fill the dementia register (patients aged 65+) and return the estimated prevalence table.

    The estimate applies age-specific prevalence rates to each practice's patients aged 65+; the
    register is a binomial share of the estimate (the diagnosis rate, DEMENTIA_DIAGNOSIS by year,
    varying between practices), so register <= estimate <= patients aged 65+.
    """
    old = AGE_START >= 65
    persons = practices.registered.sum(axis=2)[..., old].astype(float)  # [practice, year, age 65+]
    estimate = np.rint(persons @ np.array(DEMENTIA_PREVALENCE_65)).astype(np.int64)
    register = _calibrated_binomial(rng, estimate, np.zeros(len(practices.code)), DEMENTIA_DIAGNOSIS, DEMENTIA_PRACTICE_SD)
    c = REGISTERS.index("dementia")
    registers["register"][..., c] = register
    registers["list_size"][..., c] = np.rint(persons.sum(axis=2)).astype(np.int64)
    return tidy(practices.code, [], {"estimated_prevalence_count": estimate})


def make_survey_weight(rng, authority: str) -> pd.DataFrame:
    """Adults overweight or obese (survey estimate with Wilson limits), like make_survey."""
    rows = []
    for year in YEARS:
        respondents = int(rng.integers(SURVEY_RESPONDENTS[0], SURVEY_RESPONDENTS[1] + 1))
        if year == 2021:
            value = EXCESS_WEIGHT_2021
        elif year < 2021:
            value = EXCESS_WEIGHT_2013 + (EXCESS_WEIGHT_2021 - EXCESS_WEIGHT_2013) * (year - 2013) / 8 + rng.normal(0, SURVEY_JITTER)
        else:
            value = EXCESS_WEIGHT_2021 + EXCESS_WEIGHT_2022_CHANGE + rng.normal(0, SURVEY_JITTER)
        lower, upper = wilson_limits(value / 100, respondents)
        rows.append((authority, int(year), "excess_weight", respondents, round(value, 2), round(100 * lower, 2), round(100 * upper, 2)))
    return pd.DataFrame(rows, columns=["area_code", "year", "measure", "respondents", "value", "lower_95_0", "upper_95_0"])


def make_reablement(rng, authority: str, scale: float) -> pd.DataFrame:
    """Borough reablement outcomes (ASCOF 2B(1)) by financial year."""
    discharged = np.array([rng.poisson(REABLEMENT[int(y)][0] * scale) for y in YEARS])
    at_home = rng.binomial(discharged, [REABLEMENT[int(y)][1] for y in YEARS])
    return tidy([authority], [], {"discharged_65_plus": discharged[None], "at_home_91_days": at_home[None]})


# ---------------------------------------------------------------------------------------------
# Putting it together
# ---------------------------------------------------------------------------------------------
@dataclass
class Demo:
    tables: dict[str, pd.DataFrame]
    areas: SmallAreas
    practices: Practices
    kit: Kit


#: File name of each table (long tables gzipped, as data/README.md names them).
FILES = {
    "geography": "geography.csv",
    "deprivation": "deprivation.csv",
    "population": "population.csv.gz",
    "deaths": "deaths.csv.gz",
    "births": "births.csv",
    "admissions": "admissions.csv.gz",
    "child_weight": "child_weight.csv",
    "practice_population": "practice_population.csv.gz",
    "registers": "registers.csv",
    "practice_admissions": "practice_admissions.csv",
    "survey": "survey.csv",
    "deaths_by_season": "deaths_by_season.csv.gz",
    "child_development": "child_development.csv",
    "immunisations": "immunisations.csv",
    "conceptions": "conceptions.csv",
    "low_income_children": "low_income_children.csv",
    "screening": "screening.csv",
    "health_checks": "health_checks.csv",
    "flu_vaccination": "flu_vaccination.csv",
    "expected_dementia": "expected_dementia.csv",
    "reablement": "reablement.csv",
}


def generate(seed: int = SEED, kit: Kit | Path | str = DEFAULT_KIT) -> Demo:
    """Every demonstration table, in memory, on the geography of ``kit`` (a folder or a loaded kit)."""
    kit = kit if isinstance(kit, Kit) else load_kit(kit)
    rng = streams(seed)
    geography, areas = make_geography(rng["geography"], kit)
    deprivation = make_deprivation(kit)
    population = make_population(rng["population"], kit, areas)
    scale = population_scale(population)
    births, live = make_births(rng["births"], population, areas)
    births = make_maternity(rng["maternity"], births, areas)
    mortality_rng = np.random.default_rng([seed, MORTALITY_DRAW]) if MORTALITY_DRAW else rng["mortality"]
    deaths, expected = make_mortality(mortality_rng, population, live, areas)
    deaths = refine_causes(rng["causes"], deaths, expected, population, areas)
    deaths_by_season = make_deaths_by_season(rng["seasons"], deaths, areas)
    child_health = make_child_health(rng["child_health"], population, areas)
    admissions = pd.concat([make_admissions(rng["admissions"], population, areas),
                            make_admissions(rng["uti"], population, areas, LATER_CONDITIONS)], ignore_index=True)
    child_weight = make_child_weight(rng["child_weight"], population, areas)
    practice_geography, practices = make_practices(rng["practices"], population, areas, kit)
    registers = make_registers(rng["registers"], practices)
    expected_dementia = make_dementia(rng["dementia"], practices, registers)
    practice_admissions = make_practice_admissions(rng["practice_admissions"], practices, scale)
    practice_services = make_practice_services(rng["practice_services"], practices)
    survey = pd.concat([make_survey(rng["survey"], kit.authority.code), make_survey_weight(rng["survey_weight"], kit.authority.code)],
                       ignore_index=True)
    survey = survey.sort_values("year", kind="mergesort", ignore_index=True)  # by year, measures in a fixed order
    tables = {
        "geography": pd.concat([geography, practice_geography], ignore_index=True),
        "deprivation": deprivation,
        "population": tidy(areas.code, BY_SEX_AGE, {"population": population}),
        "deaths": tidy(areas.code, BY_SEX_AGE + [("cause", DEATH_CAUSES), ("preventable", PREVENTABLE)], {"deaths": deaths},
                       "deaths"),
        "births": births,
        "admissions": admissions,
        "child_weight": child_weight,
        "practice_population": tidy(practices.code, BY_SEX_AGE, {"registered": practices.registered}),
        "registers": tidy(practices.code, [("condition", REGISTERS)], registers),
        "practice_admissions": practice_admissions,
        "survey": survey,
        "deaths_by_season": deaths_by_season,
        **child_health,
        **practice_services,
        "expected_dementia": expected_dementia,
        "reablement": make_reablement(rng["reablement"], kit.authority.code, scale),
    }
    return Demo(tables, areas, practices, kit)


#: ``--sparse``: the share of each table's events kept (binomial thinning), and the harsher share
#: kept of women's hospital admissions and of every admission in the first ward of each township.
SPARSE_KEPT = {"admissions": 0.12, "practice_admissions": 0.1, "conceptions": 0.35}
SPARSE_WOMEN, SPARSE_WARD = 0.04, 0.02


def sparsen(demo: Demo, seed: int) -> dict[str, pd.DataFrame]:
    """The demonstration tables with hospital admissions and conceptions thinned, so that small
    counts are common: the data a disclosure audit has to work hardest on. Deterministic."""
    rng = np.random.default_rng([seed, 7])
    tables = dict(demo.tables)
    geography = tables["geography"].set_index("area_code")
    first_wards = {rows.index[0] for _, rows in geography.loc[geography["area_type"] == "ward"].groupby("parent_code", sort=True)}
    in_first_ward = lambda codes: codes.map(geography["parent_code"]).isin(first_wards).to_numpy()  # noqa: E731
    for name, kept in SPARSE_KEPT.items():
        table = tables[name].copy()
        column = table.columns[-1]
        share = np.full(len(table), kept)
        if name == "admissions":
            share = np.where(table["sex"].to_numpy() == "Female", SPARSE_WOMEN, share)
            share = np.where(in_first_ward(table["area_code"]), SPARSE_WARD, share)
        table[column] = rng.binomial(table[column].to_numpy(), share)
        tables[name] = table
    return tables


def write(tables: dict[str, pd.DataFrame], out: Path, demo: Demo) -> None:
    """Write every table with fixed formatting (gzip without a timestamp, so bytes are
    reproducible), and ``provenance.yml``."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "provenance.yml").write_text(provenance(demo), encoding="utf-8")
    for kind, (path, code) in demo.kit.boundaries.items():  # the kit's shapes, keyed by area_code
        features = sorted(json.loads(path.read_text(encoding="utf-8"))["features"], key=lambda f: str(f["properties"][code]))
        shapes = {"type": "FeatureCollection", "features": [
            {"type": "Feature", "properties": {"area_code": str(f["properties"][code])}, "geometry": f["geometry"]} for f in features]}
        (out / "boundaries").mkdir(exist_ok=True)
        (out / "boundaries" / f"{kind}.geojson").write_text(json.dumps(shapes, separators=(",", ":")) + "\n", encoding="utf-8")
    for name, table in tables.items():
        path = out / FILES[name]
        compression = {"method": "gzip", "mtime": 0} if path.suffix == ".gz" else None
        table.to_csv(path, index=False, lineterminator="\n", float_format="%.3f" if name == "deprivation" else "%.2f",
                     compression=compression, encoding="utf-8")


def provenance(demo: Demo) -> str:
    """``provenance.yml``: what each table of the folder is (real, modelled or synthetic) and
    where it came from, for the book to say on its pages which figures are synthetic."""
    kit = demo.kit
    modelled = list(kit.population_modelled)
    years = sorted(kit.population["year"].unique())
    others = [int(y) for y in YEARS if y not in years]
    if others:
        modelled.append("the years " + _listed([str(y) for y in others]))
    real = {
        "geography": ("real", "; ".join([kit.sources[part] for part in ("lookup", "localities", "practices") if kit.sources.get(part)]
                                        + [f"a practice in no network placed by its postcode district: {placed}" for placed in kit.placed])),
        "deprivation": ("real", kit.sources["deprivation"]),
        "population": ("real", kit.sources["population"] + (f"; modelled: {'; '.join(modelled)}" if modelled else "")),
        "practice_population": ("modelled", f"list sizes real ({kit.sources.get('list_sizes') or kit.sources['practices']}); "
                                            "the split by age and sex, and the other years, modelled from the small areas around each practice"),
    }  # fmt: skip
    lines = [
        "# What each table of this folder is: real (published figures), modelled (derived from published",
        "# figures by stated assumptions) or synthetic (invented, calibrated to published levels).",
        f"# Written by scripts/make_demo_data.py from the geography kit {kit.folder.name}.",
        f"authority: {json.dumps(f'{kit.authority.name} ({kit.authority.code})')}",
        "tables:",
    ]
    for name in FILES:
        kind, source = real.get(name, ("synthetic", "scripts/make_demo_data.py: invented events on the real geography, at levels "
                                                    "calibrated to published figures (data/README.md)"))
        lines.append(f"  {name}: {{kind: {kind}, source: {json.dumps(source, ensure_ascii=False)}}}")
    return "\n".join(lines) + "\n"


def _listed(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--geography", type=Path, default=DEFAULT_KIT, metavar="KIT",
                        help="geography kit folder (default: data/kits/dudley; format in data/README.md)")
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent.parent / "data" / "demo")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--sparse", action="store_true", help="thin hospital admissions and conceptions so that small counts are common")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    try:
        demo = generate(args.seed, args.geography)
    except DataError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    tables = sparsen(demo, args.seed) if args.sparse else demo.tables
    write(tables, args.out, demo)
    rows = ", ".join(f"{name} {len(table):,}" for name, table in tables.items())
    print(f"wrote {args.out} in {time.perf_counter() - started:.1f} s: {rows}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
