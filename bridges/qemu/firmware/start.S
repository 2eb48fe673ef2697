/*
 * Entry: interrupts masked (WFI still wakes on them), a stack, zeroed bss.
 * A second core (the AST2600 has two) parks in WFI for good.
 */
	.syntax unified
	.arm
	.section .text.start, "ax"
	.global _start
_start:
	cpsid	if
	mrc	p15, 0, r0, c0, c0, 5	/* MPIDR */
	ands	r0, r0, #0xff
	bne	2f
	ldr	sp, =__stack_top
	ldr	r0, =__bss_start
	ldr	r1, =__bss_end
	mov	r2, #0
1:	cmp	r0, r1
	strlo	r2, [r0], #4
	blo	1b
	bl	main
2:	wfi
	b	2b
