// graftkg's FHIR extensions and code systems, generated from the record's field declarations
// (graftkg.model) and the ontology: do not edit; run graftkg.reporting.fhir.extensions_fsh().

Extension: GraftkgAboMatch
Id: graftkg-abo-match
Title: "graftkg abo_match"
Description: "ABO compatibility between donor and recipient."
Context: Procedure
* ^url = "https://w3id.org/graftkg/fhir/StructureDefinition/abo_match"
* value[x] only code

Extension: GraftkgAssertedRiskFactors
Id: graftkg-asserted-risk-factors
Title: "graftkg asserted_risk_factors"
Description: "A risk factor the submitting centre asserts for the transplant, for factors the ontology does not derive."
Context: Procedure
* ^url = "https://w3id.org/graftkg/fhir/StructureDefinition/asserted_risk_factors"
* value[x] only code

Extension: GraftkgCd34Dose1e6PerKg
Id: graftkg-cd34-dose-1e6-per-kg
Title: "graftkg cd34_dose_1e6_per_kg"
Description: "CD34+ cells infused, x 10^6 per kg recipient body weight."
Context: Procedure
* ^url = "https://w3id.org/graftkg/fhir/StructureDefinition/cd34_dose_1e6_per_kg"
* value[x] only decimal

Extension: GraftkgCentre
Id: graftkg-centre
Title: "graftkg centre"
Description: "The transplant centre that reports the transplant to the registry, by the identifier the registry gives it (for CIBMTR, the centre number)."
Context: Procedure
* ^url = "https://w3id.org/graftkg/fhir/StructureDefinition/centre"
* value[x] only string

Extension: GraftkgConditioningAgents
Id: graftkg-conditioning-agents
Title: "graftkg conditioning_agents"
Description: "A drug or radiation of the regimen."
Context: Procedure
* ^url = "https://w3id.org/graftkg/fhir/StructureDefinition/conditioning_agents"
* value[x] only code

Extension: GraftkgConditioningIntensity
Id: graftkg-conditioning-intensity
Title: "graftkg conditioning_intensity"
Description: "The intensity class of the regimen."
Context: Procedure
* ^url = "https://w3id.org/graftkg/fhir/StructureDefinition/conditioning_intensity"
* value[x] only code

Extension: GraftkgCryopreserved
Id: graftkg-cryopreserved
Title: "graftkg cryopreserved"
Description: "Whether the graft was cryopreserved before infusion."
Context: Procedure
* ^url = "https://w3id.org/graftkg/fhir/StructureDefinition/cryopreserved"
* value[x] only boolean

Extension: GraftkgDeathDay
Id: graftkg-death-day
Title: "graftkg death_day"
Description: "Day after infusion on which the patient died."
Context: Procedure
* ^url = "https://w3id.org/graftkg/fhir/StructureDefinition/death_day"
* value[x] only integer

Extension: GraftkgDiagnosis
Id: graftkg-diagnosis
Title: "graftkg diagnosis"
Description: "The underlying disease the transplant treats."
Context: Procedure
* ^url = "https://w3id.org/graftkg/fhir/StructureDefinition/diagnosis"
* value[x] only code

Extension: GraftkgDiseaseStatus
Id: graftkg-disease-status
Title: "graftkg disease_status"
Description: "Remission status at transplant."
Context: Procedure
* ^url = "https://w3id.org/graftkg/fhir/StructureDefinition/disease_status"
* value[x] only code

Extension: GraftkgDonorAgeYears
Id: graftkg-donor-age-years
Title: "graftkg donor_age_years"
Description: "Age of the donor in years at collection."
Context: Procedure
* ^url = "https://w3id.org/graftkg/fhir/StructureDefinition/donor_age_years"
* value[x] only decimal

Extension: GraftkgDonorCmv
Id: graftkg-donor-cmv
Title: "graftkg donor_cmv"
Description: "CMV serostatus of a patient or donor before transplant."
Context: Procedure
* ^url = "https://w3id.org/graftkg/fhir/StructureDefinition/donor_cmv"
* value[x] only code

Extension: GraftkgDonorRelation
Id: graftkg-donor-relation
Title: "graftkg donor_relation"
Description: "The donor's relation to the recipient, e.g. father, mother, sister, unrelated."
Context: Procedure
* ^url = "https://w3id.org/graftkg/fhir/StructureDefinition/donor_relation"
* value[x] only string

Extension: GraftkgDonorSex
Id: graftkg-donor-sex
Title: "graftkg donor_sex"
Description: "The sex of a patient or donor."
Context: Procedure
* ^url = "https://w3id.org/graftkg/fhir/StructureDefinition/donor_sex"
* value[x] only code

Extension: GraftkgDonorType
Id: graftkg-donor-type
Title: "graftkg donor_type"
Description: "The kind of donor by relation and HLA match."
Context: Procedure
* ^url = "https://w3id.org/graftkg/fhir/StructureDefinition/donor_type"
* value[x] only code

Extension: GraftkgDsaMaxMfi
Id: graftkg-dsa-max-mfi
Title: "graftkg dsa_max_mfi"
Description: "The highest mean fluorescence intensity among donor-specific antibodies detected."
Context: Procedure
* ^url = "https://w3id.org/graftkg/fhir/StructureDefinition/dsa_max_mfi"
* value[x] only decimal

Extension: GraftkgGraftSource
Id: graftkg-graft-source
Title: "graftkg graft_source"
Description: "The tissue the graft was collected from."
Context: Procedure
* ^url = "https://w3id.org/graftkg/fhir/StructureDefinition/graft_source"
* value[x] only code

Extension: GraftkgGvhdProphylaxis
Id: graftkg-gvhd-prophylaxis
Title: "graftkg gvhd_prophylaxis"
Description: "A drug given to prevent graft-versus-host disease."
Context: Procedure
* ^url = "https://w3id.org/graftkg/fhir/StructureDefinition/gvhd_prophylaxis"
* value[x] only code

Extension: GraftkgHlaMatch
Id: graftkg-hla-match
Title: "graftkg hla_match"
Description: "Number of matched HLA alleles out of those typed, written like 5/10."
Context: Procedure
* ^url = "https://w3id.org/graftkg/fhir/StructureDefinition/hla_match"
* value[x] only string

Extension: GraftkgLastFollowUpDay
Id: graftkg-last-follow-up-day
Title: "graftkg last_follow_up_day"
Description: "Day after infusion of the last follow-up."
Context: Procedure
* ^url = "https://w3id.org/graftkg/fhir/StructureDefinition/last_follow_up_day"
* value[x] only integer

Extension: GraftkgPriorTransplantId
Id: graftkg-prior-transplant-id
Title: "graftkg prior_transplant_id"
Description: "The earlier transplant of the same patient that this one follows, e.g. a salvage transplant after graft failure."
Context: Procedure
* ^url = "https://w3id.org/graftkg/fhir/StructureDefinition/prior_transplant_id"
* value[x] only string

Extension: GraftkgRecipientAgeYears
Id: graftkg-recipient-age-years
Title: "graftkg recipient_age_years"
Description: "Age of the recipient in years on the day of infusion."
Context: Procedure
* ^url = "https://w3id.org/graftkg/fhir/StructureDefinition/recipient_age_years"
* value[x] only decimal

Extension: GraftkgRecipientCmv
Id: graftkg-recipient-cmv
Title: "graftkg recipient_cmv"
Description: "CMV serostatus of a patient or donor before transplant."
Context: Procedure
* ^url = "https://w3id.org/graftkg/fhir/StructureDefinition/recipient_cmv"
* value[x] only code

Extension: GraftkgRecipientSex
Id: graftkg-recipient-sex
Title: "graftkg recipient_sex"
Description: "The sex of a patient or donor."
Context: Procedure
* ^url = "https://w3id.org/graftkg/fhir/StructureDefinition/recipient_sex"
* value[x] only code

Extension: GraftkgRelapseDay
Id: graftkg-relapse-day
Title: "graftkg relapse_day"
Description: "Day after infusion on which relapse of the underlying disease was diagnosed."
Context: Procedure
* ^url = "https://w3id.org/graftkg/fhir/StructureDefinition/relapse_day"
* value[x] only integer

Extension: GraftkgReportedNeutrophilRecoveryDay
Id: graftkg-reported-neutrophil-recovery-day
Title: "graftkg reported_neutrophil_recovery_day"
Description: "The neutrophil recovery day the centre reports."
Context: Procedure
* ^url = "https://w3id.org/graftkg/fhir/StructureDefinition/reported_neutrophil_recovery_day"
* value[x] only integer or code

Extension: GraftkgReportedOutcome
Id: graftkg-reported-outcome
Title: "graftkg reported_outcome"
Description: "The outcome code the centre reports, one of the outcome codes of this ontology."
Context: Procedure
* ^url = "https://w3id.org/graftkg/fhir/StructureDefinition/reported_outcome"
* value[x] only code

Extension: GraftkgReportedPlatelet50RecoveryDay
Id: graftkg-reported-platelet-50-recovery-day
Title: "graftkg reported_platelet_50_recovery_day"
Description: "The reported first day of platelet recovery to above 50 x 10^9/L, as some registries and studies record it; not the 20 x 10^9/L recovery of the definitions, and never used in their place."
Context: Procedure
* ^url = "https://w3id.org/graftkg/fhir/StructureDefinition/reported_platelet_50_recovery_day"
* value[x] only integer or code

Extension: GraftkgReportedPlateletNormalRecoveryDay
Id: graftkg-reported-platelet-normal-recovery-day
Title: "graftkg reported_platelet_normal_recovery_day"
Description: "The reported first day on which platelets returned to normal levels, as the KMsurv bmt data set (Klein & Moeschberger) records it; not the 20 x 10^9/L recovery of the definitions, and never used in its place."
Context: Procedure
* ^url = "https://w3id.org/graftkg/fhir/StructureDefinition/reported_platelet_normal_recovery_day"
* value[x] only integer or code

Extension: GraftkgReportedPlateletRecoveryDay
Id: graftkg-reported-platelet-recovery-day
Title: "graftkg reported_platelet_recovery_day"
Description: "The platelet recovery day the centre reports."
Context: Procedure
* ^url = "https://w3id.org/graftkg/fhir/StructureDefinition/reported_platelet_recovery_day"
* value[x] only integer or code

Extension: GraftkgTCellDepletion
Id: graftkg-t-cell-depletion
Title: "graftkg t_cell_depletion"
Description: "Whether the graft was T-cell depleted ex vivo."
Context: Procedure
* ^url = "https://w3id.org/graftkg/fhir/StructureDefinition/t_cell_depletion"
* value[x] only code

Extension: GraftkgTncDose1e7PerKg
Id: graftkg-tnc-dose-1e7-per-kg
Title: "graftkg tnc_dose_1e7_per_kg"
Description: "Total nucleated cells infused, x 10^7 per kg recipient body weight."
Context: Procedure
* ^url = "https://w3id.org/graftkg/fhir/StructureDefinition/tnc_dose_1e7_per_kg"
* value[x] only decimal

Extension: GraftkgTransplantNumber
Id: graftkg-transplant-number
Title: "graftkg transplant_number"
Description: "1 for a first allogeneic transplant, 2 for the next, and so on."
Context: Procedure
* ^url = "https://w3id.org/graftkg/fhir/StructureDefinition/transplant_number"
* value[x] only integer

Extension: GraftkgDay0Placeholder
Id: graftkg-day0-placeholder
Title: "graftkg day 0 placeholder"
Description: "The infusion date of the transplant was not reported: the date this extension qualifies is a placeholder day 0, from which the transplant's other dates count its days."
Context: Procedure.performed[x]
* ^url = "https://w3id.org/graftkg/fhir/StructureDefinition/day0-placeholder"
* value[x] only boolean

Extension: GraftkgLineage
Id: graftkg-lineage
Title: "graftkg lineage"
Description: "The cell lineage a donor chimerism assay measured."
Context: Observation
* ^url = "https://w3id.org/graftkg/fhir/StructureDefinition/lineage"
* value[x] only code

CodeSystem: GraftkgMeasure
Id: graftkg-measure
Title: "graftkg measure"
Description: "The observation codes of graftkg's observations.csv."
* ^url = "https://w3id.org/graftkg/fhir/CodeSystem/measure"
* ^caseSensitive = true
* #ANC
* #HB
* #PLT
* #WBC
* #donor_chimerism_pct
* #dsa_mfi
* #gcsf
* #gvhd
* #infection
* #platelet_transfusion
* #rbc_transfusion

CodeSystem: GraftkgProcedure
Id: graftkg-procedure
Title: "graftkg procedure"
Description: "graftkg's code of a transplant."
* ^url = "https://w3id.org/graftkg/fhir/CodeSystem/procedure"
* ^caseSensitive = true
* #allogeneic-hsct

CodeSystem: GraftkgPathogen
Id: graftkg-pathogen
Title: "graftkg pathogen"
Description: "The pathogens of an infection episode."
* ^url = "https://w3id.org/graftkg/fhir/CodeSystem/pathogen"
* ^caseSensitive = true
* #BK
* #CMV
* #EBV
* #HHV6
* #adenovirus
* #bacterial
* #fungal
* #other_viral

CodeSystem: GraftkgCalculation
Id: graftkg-calculation
Title: "graftkg calculation"
Description: "How a laboratory count was calculated from others."
* ^url = "https://w3id.org/graftkg/fhir/CodeSystem/calculation"
* ^caseSensitive = true
* #neutrophil_pct_x_wbc

CodeSystem: GraftkgGvhdGrade
Id: graftkg-gvhd-grade
Title: "graftkg gvhd-grade"
Description: "The overall grade of a GvHD episode, 0 to 4."
* ^url = "https://w3id.org/graftkg/fhir/CodeSystem/gvhd-grade"
* ^caseSensitive = true
* #0
* #1
* #2
* #3
* #4
