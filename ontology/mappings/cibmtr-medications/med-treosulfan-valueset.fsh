ValueSet: RxNormTreosulfanVS
Id: med-treosulfan-vs
Title: "RxNorm - Treosulfan"
Description: "RxNorm codes for Treosulfan"
* ^experimental = true
* $RXN#38508	    "treosulfan"
* $RXN#336841	"treosulfan 250 MG"
* $RXN#393483	"treosulfan 50 MG/ML"
* $RXN#1162765	"treosulfan Injectable Product"
* $RXN#377198	"treosulfan Injectable Solution"
* $RXN#374186	"treosulfan Oral Capsule"
* $RXN#1162766	"treosulfan Oral Product"
* $RXN#1162767	"treosulfan Pill"