"""PDFs of warehouse execution: the wave's pick list (A4) and the 100 × 150 mm thermal waybill label."""
