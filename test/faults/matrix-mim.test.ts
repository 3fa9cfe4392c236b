/** The fault-injection matrix's 'mim' rows (the rows and their checks: matrix.ts). */
import { runMatrixPart } from './matrix.js';

runMatrixPart('mim');
